"""render(), render_batch() and Renderer through Carla's library (the offline engine): an LV2
synth, a SoundFont, the click SFZ's exact onsets, errors as exceptions, Ctrl-C."""

import csv
import json
import os
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

import pycarla_rs
from pycarla_rs import errors

from conftest import KARS, SOUNDFONT, click_starts, frame_of, needs_carla

pytestmark = needs_carla


def frames_for(midi, tail=2.0, sample_rate=48_000):
    return round((pycarla_rs.get_smf_duration(midi) + tail) * sample_rate)


def test_get_smf_duration(shared_midi):
    assert pycarla_rs.get_smf_duration(shared_midi / "test01.mid") == pytest.approx(3.96875)
    assert pycarla_rs.get_smf_duration(str(shared_midi / "test01.mid")) > 0


def test_render_through_an_lv2_synth(shared_midi, tmp_path):
    midi = shared_midi / "test01.mid"
    audio = pycarla_rs.render(midi, plugin=KARS)
    assert isinstance(audio, np.ndarray)
    assert audio.dtype == np.float32
    assert audio.ndim == 2 and audio.shape[0] == 1  # Kars is mono
    assert audio.shape[1] == frames_for(midi)
    assert np.abs(audio).max() > 0.01
    # With `output`, the WAV stays; Kars draws each note's wave from rand(), seeded by the
    # seed rule: the same file renders the same samples, another seed others.
    out = tmp_path / "kars.wav"
    again = pycarla_rs.render(str(midi), out, plugin=[KARS], engine="offline")
    assert out.is_file() and not (tmp_path / "kars.wav.partial").exists()
    assert np.array_equal(again, audio)
    assert out.stat().st_size >= again.size * 4
    assert not np.array_equal(pycarla_rs.render(midi, plugin=KARS, seed=3), audio)


def test_params_set_a_plugin_parameter_and_plugin_info_lists_them(shared_midi):
    midi = shared_midi / "test01.mid"
    info = pycarla_rs.plugin_info(KARS)
    volume = next(p for p in info["parameters"] if p["name"] == "Volume")
    assert (volume["min"], volume["max"], volume["default"]) == (0.0, 100.0, 75.0)
    default = pycarla_rs.render(midi, plugin=KARS)
    half = pycarla_rs.render(midi, plugin=KARS, params={"volume": 37.5})
    assert np.allclose(half, default * 0.5, atol=1e-6)
    with pytest.raises(errors.PycarlaError, match="out of its range 0 to 100"):
        pycarla_rs.render(midi, plugin=KARS, params={"Volume": 150})


def test_a_plugin_chain_on_the_jack_engine_plays_through_pycarla_s_carla_host(shared_midi):
    # The host program is this Python running the extension: the wheel ships no executable.
    midi = shared_midi / "test01.mid"
    audio = pycarla_rs.render(midi, plugin=KARS, engine="jack", tail=1.0)
    assert audio.shape[1] == frames_for(midi, tail=1.0)
    assert np.abs(audio).max() > 0.01


@pytest.mark.skipif(not SOUNDFONT.is_file(), reason="FluidR3_GM.sf2 is not installed")
def test_render_through_a_soundfont(shared_midi, tmp_path):
    midi = shared_midi / "test19.mid"
    audio = pycarla_rs.render(midi, sf2=SOUNDFONT, sample_rate=44_100, tail=1.0)
    assert audio.shape == (2, frames_for(midi, tail=1.0, sample_rate=44_100))
    assert audio.dtype == np.float32
    assert np.abs(audio).max() > 0.01
    # The default instrument is the General MIDI SoundFont.
    default = pycarla_rs.render(midi, sample_rate=44_100, tail=1.0)
    np.testing.assert_array_equal(audio, default)


@pytest.mark.parametrize("period", [64, 1024, None])
def test_every_note_on_sounds_on_its_exact_frame(click_sfz, known_onsets, period):
    midi, times = known_onsets
    audio = pycarla_rs.render(midi, sfz=click_sfz, period=period)
    assert click_starts(audio[0]) == [frame_of(t, 48_000) for t in times]


def test_exact_onsets_of_real_files_match_the_onsets_csv(click_sfz, shared_midi, tmp_path):
    with pycarla_rs.Renderer(sfz=click_sfz, period=256) as renderer:
        assert renderer.engine == "offline" and renderer.sample_rate == 48_000
        for name in ["test01.mid", "test19.mid"]:
            table = tmp_path / f"{name}.csv"
            audio = renderer.render(shared_midi / name, onsets=table)
            with open(table) as f:
                frames = sorted({int(row["frame"]) for row in csv.DictReader(f)})
            assert click_starts(audio[0]) == frames, name


def test_midi_from_memory_renders_the_same_samples_as_its_file(shared_midi, click_sfz):
    import mido
    import pretty_midi

    midi = shared_midi / "test19.mid"
    from_file = pycarla_rs.render(midi, sfz=click_sfz, tail=0.5)
    assert click_starts(from_file[0])
    for source in [
        midi.read_bytes(),
        bytearray(midi.read_bytes()),
        mido.MidiFile(midi),
    ]:
        np.testing.assert_array_equal(pycarla_rs.render(source, sfz=click_sfz, tail=0.5), from_file)
    # pretty_midi writes the file again with its own tempo map: the same note-ons to the frame.
    again = pycarla_rs.render(pretty_midi.PrettyMIDI(str(midi)), sfz=click_sfz, tail=0.5)
    assert click_starts(again[0]) == click_starts(from_file[0])
    with pycarla_rs.Renderer(sfz=click_sfz, tail=0.5) as renderer:
        np.testing.assert_array_equal(renderer.render(midi.read_bytes()), from_file)
    # A seeded plugin draws the same with a mido file as with its path (keyed by its name).
    np.testing.assert_array_equal(
        pycarla_rs.render(mido.MidiFile(midi), plugin=KARS), pycarla_rs.render(midi, plugin=KARS)
    )


def test_events_from_memory_sound_on_their_exact_frames(click_sfz, known_onsets):
    _, times = known_onsets
    # In any order; times as floats, as users have them.
    events = [(float(t), bytes([0x90, 40 + i, 100])) for i, t in enumerate(times)][::-1]
    events += [(float(t) + 0.05, bytes([0x80, 40 + i, 0])) for i, t in enumerate(times)]
    audio = pycarla_rs.render(events, sfz=click_sfz, tail=0.5)
    assert click_starts(audio[0]) == [frame_of(t, 48_000) for t in times]
    last = max(float(t) for t in times) + 0.05
    assert audio.shape[1] == round((last + 0.5) * 48_000)


def test_bad_midi_from_memory_is_a_typed_error(click_sfz):
    with pytest.raises(errors.MidiError):
        pycarla_rs.render(b"MThd garbage", sfz=click_sfz)
    with pytest.raises(errors.UsageError, match="expected a path, the bytes"):
        pycarla_rs.render(12345, sfz=click_sfz)
    with pytest.raises(errors.UsageError, match="times must be"):
        pycarla_rs.render([(-1.0, b"\x90\x3c\x40")], sfz=click_sfz)
    with pytest.raises(errors.UsageError, match="not a MIDI message"):
        pycarla_rs.render([(0.0, b"\x3c")], sfz=click_sfz)


def test_render_batch(shared_midi, tmp_path, click_sfz):
    inputs = [shared_midi / "test01.mid", shared_midi / "test19.mid"]
    manifest = tmp_path / "manifest.jsonl"
    results = pycarla_rs.render_batch(
        inputs, tmp_path / "out", jobs=2, manifest=manifest, sfz=click_sfz, tail=0.5
    )
    assert [r.status for r in results] == ["rendered", "rendered"]
    for midi, result in zip(inputs, results):
        assert result.ok and result.error is None
        assert result.output == tmp_path / "out" / (midi.stem + ".wav")
        assert result.output.is_file()
        assert result.frames == frames_for(midi, tail=0.5)
        assert result.engine == "offline" and result.channels == 2  # sfizz is stereo
    # Resumable: existing outputs are skipped; the manifest has one line per input and run.
    again = pycarla_rs.render_batch(
        inputs, tmp_path / "out", skip_existing=True, manifest=manifest, sfz=click_sfz
    )
    assert [r.status for r in again] == ["skipped", "skipped"]
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert sorted(line["status"] for line in lines) == ["rendered"] * 2 + ["skipped"] * 2
    assert {line["instrument"] for line in lines} == {str(click_sfz)}


def test_several_files_at_a_time_on_jack_render_in_worker_processes(shared_midi, tmp_path, click_sfz):
    # libjack talks to one server per process: the JACK workers are this Python again, each
    # with a private server; the audio is the same as one file after another.
    inputs = [shared_midi / name for name in ["test01.mid", "test03.mid", "test19.mid"]]
    pooled = pycarla_rs.render_batch(
        inputs, tmp_path / "pool", jobs=2, engine="jack", sfz=click_sfz, tail=0.25
    )
    assert [(r.status, r.engine) for r in pooled] == [("rendered", "jack")] * 3
    single = pycarla_rs.render_batch(inputs, tmp_path / "one", engine="jack", sfz=click_sfz, tail=0.25)
    for a, b in zip(pooled, single):
        assert a.frames == b.frames == frames_for(a.midi, tail=0.25)
        assert a.output.read_bytes() == b.output.read_bytes()
    with pytest.raises(errors.UsageError, match="private servers"):
        pycarla_rs.render_batch(inputs, tmp_path, jobs=2, engine="jack", server="x", sfz=click_sfz)


def test_shards_split_the_sorted_inputs_as_the_command_does(shared_midi, tmp_path, click_sfz):
    # Given out of order, the inputs are sorted by path before every n-th is taken (the
    # pycarla command's rule): shard 0 of 2 is test01 and test19, whatever the order given.
    names = ["test19.mid", "test03.mid", "test01.mid"]
    inputs = [shared_midi / name for name in names]
    shard = pycarla_rs.render_batch(inputs, tmp_path, shard=(0, 2), sfz=click_sfz, tail=0)
    assert [r.output.name for r in shard] == ["test01.wav", "test19.wav"]
    other = pycarla_rs.render_batch(inputs, tmp_path, shard=(1, 2), sfz=click_sfz, tail=0)
    assert [r.output.name for r in other] == ["test03.wav"]


def test_a_failing_file_does_not_stop_the_batch(shared_midi, tmp_path, click_sfz):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not a MIDI file at all")
    results = pycarla_rs.render_batch(
        [(bad, tmp_path / "bad.wav"), (shared_midi / "test01.mid", tmp_path / "good.wav")],
        sfz=click_sfz,
    )
    assert [r.status for r in results] == ["failed", "rendered"]
    assert isinstance(results[0].error, errors.MidiError)


def test_bad_midi_raises_midi_error(tmp_path, click_sfz):
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"MThd\x00\x00\x00\x06\x00\x00")
    with pytest.raises(errors.MidiError, match="bad MIDI file") as caught:
        pycarla_rs.render(bad, sfz=click_sfz)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, pycarla_rs.PycarlaError)
    assert str(bad) in str(caught.value)
    with pytest.raises(errors.MidiError, match="no-such.mid"):
        pycarla_rs.render(tmp_path / "no-such.mid", sfz=click_sfz)
    with pytest.raises(errors.MidiError):
        pycarla_rs.get_smf_duration(bad)


def test_a_missing_plugin_raises_plugin_load_error(shared_midi):
    with pytest.raises(errors.PluginLoadError, match="http://example.org/no-such-plugin") as e:
        pycarla_rs.render(shared_midi / "test01.mid", plugin="http://example.org/no-such-plugin")
    assert "Failed to find the requested plugin" in str(e.value)
    assert e.value.retryable is False


def test_other_errors(shared_midi, tmp_path):
    midi = shared_midi / "test01.mid"
    with pytest.raises(errors.PycarlaError, match="missing.sf2 does not exist"):
        pycarla_rs.render(midi, sf2=tmp_path / "missing.sf2")
    with pytest.raises(errors.InstrumentNotFoundError, match="missing.carxp") as e:
        pycarla_rs.render(midi, project=tmp_path / "missing.carxp")
    assert isinstance(e.value, FileNotFoundError)
    with pytest.raises(errors.UsageError, match="tail"):
        pycarla_rs.render(midi, plugin=KARS, tail=-1.0)
    with pytest.raises(errors.UsageError, match="one instrument"):
        pycarla_rs.render(midi, plugin=KARS, sf2=SOUNDFONT)
    with pytest.raises(errors.UsageError, match="engine"):
        pycarla_rs.render(midi, plugin=KARS, engine="warp")
    # The keywords render, Renderer and render_batch share fail as a signature's would.
    with pytest.raises(TypeError, match=r"^render\(\) got an unexpected keyword argument 'plugn'"):
        pycarla_rs.render(midi, plugn=KARS)
    with pytest.raises(TypeError, match=r"^Renderer.__new__\(\) got an unexpected keyword"):
        pycarla_rs.Renderer(onsets=True)
    with pytest.raises(TypeError, match=r"^render_batch\(\) got an unexpected keyword"):
        pycarla_rs.render_batch([], plugn=KARS)
    with pytest.raises(TypeError, match="integer"):
        pycarla_rs.render(midi, sample_rate=None)


def test_ctrl_c_stops_a_render_cleanly(shared_midi, tmp_path):
    """SIGINT during a long render raises KeyboardInterrupt within moments, leaves the partial
    WAV (not the output) and no worker process."""
    if not SOUNDFONT.is_file():
        pytest.skip("FluidR3_GM.sf2 is not installed")
    out = tmp_path / "long.wav"
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            # 160 s of music at 64-frame blocks: far longer than the timer.
            pycarla_rs.render(shared_midi / "test03.mid", out, sf2=SOUNDFONT, period=64)
    finally:
        timer.cancel()
    assert time.monotonic() - started < 10
    assert not out.exists()
    assert out.with_name("long.wav.partial").exists()  # what was rendered, finalized
    children = subprocess.run(["pgrep", "-P", str(os.getpid())], capture_output=True, text=True)
    assert children.stdout.split() == [], f"children left: {children.stdout}"


def test_presets_by_index_and_name(shared_midi):
    midi = shared_midi / "test01.mid"
    hexter = "/usr/lib/dssi/hexter.so"
    # hexter does not repeat sample for sample in this package's worker (the same Python as
    # the caller), though it does in the pycarla command's (tested in Rust): its patches are
    # told apart by level (E.GRAND 1 is about twice as loud as Elec Piano on this file).
    def level(audio):
        return float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))

    grand = level(pycarla_rs.render(midi, plugin=hexter, preset="5"))
    by_list = level(pycarla_rs.render(midi, plugin=hexter, preset=["5"]))
    piano = level(pycarla_rs.render(midi, plugin=hexter, preset="elec piano"))
    assert min(grand, by_list) > 1.5 * piano, (grand, by_list, piano)
    with pytest.raises(errors.PycarlaError, match="has no preset"):
        pycarla_rs.render(midi, plugin=hexter, preset="No Such Patch")
