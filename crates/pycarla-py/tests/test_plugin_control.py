"""Plugin control from Python, named as the command's options: Plugin objects in a chain,
seeded randomisation, automation (pairs or numpy arrays), controller mappings and states saved
without a GUI — each proved by the audio it changes."""

from pathlib import Path

import numpy as np
import pytest

import pycarla_rs
from pycarla_rs import Plugin, errors

from conftest import KARS, needs_carla, write_midi

pytestmark = needs_carla

AMP = "/usr/lib/ladspa/cmt.so#amp_mono"


def test_a_plugin_object_carries_its_own_settings(shared_midi):
    midi = shared_midi / "test01.mid"
    by_keyword = pycarla_rs.render(midi, plugin=KARS, params={"Volume": 37.5})
    by_object = pycarla_rs.render(midi, plugin=Plugin(KARS, params={"Volume": 37.5}))
    in_a_list = pycarla_rs.render(midi, plugin=[Plugin(KARS, params={"Volume": 37.5})])
    assert np.array_equal(by_keyword, by_object)
    assert np.array_equal(by_keyword, in_a_list)
    with pytest.raises(errors.PycarlaError, match="out of its range"):
        pycarla_rs.render(midi, plugin=Plugin(KARS, params={"Volume": 1000}))


def test_randomize_repeats_with_the_seed(shared_midi):
    midi = shared_midi / "test01.mid"
    first = pycarla_rs.render(midi, plugin=KARS, randomize="Volume=10:90", seed=5)
    again = pycarla_rs.render(midi, plugin=Plugin(KARS, randomize=["Volume=10:90"]), seed=5)
    other = pycarla_rs.render(midi, plugin=KARS, randomize=["Volume=10:90"], seed=6)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def clicks(tmp_path: Path) -> Path:
    """Ten clicks, one every 0.1 s (96 ticks a beat at 0.1 s a beat: 960 ticks a second)."""
    path = tmp_path / "clicks.mid"
    write_midi(path, [(96 * k, 60) for k in range(10)], ticks_per_beat=96, tempo=100_000)
    return path


def levels(audio):
    return [float(audio[0, 4_800 * k]) for k in range(10)]


def test_automation_as_pairs_or_arrays_scales_clicks_from_their_frame(click_sfz, tmp_path):
    midi = clicks(tmp_path)
    chain = [str(click_sfz), AMP]
    full = levels(pycarla_rs.render(midi, plugin=chain, tail=0.2))
    # 0.25 from click 3's frame on, 0.5 from one frame after click 6 (click 6 keeps 0.25).
    points = [(0.3, 0.25), ((6 * 4_800 + 1) / 48_000, 0.5)]
    by_pairs = pycarla_rs.render(midi, plugin=chain, tail=0.2, automation={(2, "Gain"): points})
    seconds, values = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    by_arrays = pycarla_rs.render(
        midi, plugin=chain, tail=0.2, automation={"2:gain": (seconds, values)}
    )
    assert np.array_equal(by_pairs, by_arrays)
    gains = [1, 1, 1, 0.25, 0.25, 0.25, 0.25, 0.5, 0.5, 0.5]
    assert levels(by_pairs) == pytest.approx([f * g for f, g in zip(full, gains)], abs=1e-6)
    csv = tmp_path / "gain.csv"
    csv.write_text("seconds,plugin,parameter,value\n" + "".join(f"{s!r},2,Gain,{v}\n" for s, v in points))
    by_file = pycarla_rs.render(midi, plugin=chain, tail=0.2, automation=csv)
    assert np.array_equal(by_pairs, by_file)


def test_a_controller_mapped_onto_a_parameter(click_sfz, tmp_path):
    midi = tmp_path / "cc.mid"
    # CC 20 = 0 on channel 5 at 0.25 s (mid-way between clicks 2 and 3): silence from click 3.
    write_midi(midi, [(96 * k, 60) for k in range(6)], ticks_per_beat=96, tempo=100_000)
    data = bytearray(midi.read_bytes())
    # Append the controller as its own track of a format-1 file.
    track = b"\x00\xff\x51\x03\x01\x86\xa0" + bytes([0x81, 0x70, 0xB4, 20, 0]) + b"\x00\xff\x2f\x00"
    data[8:10] = (1).to_bytes(2, "big")
    data[10:12] = (2).to_bytes(2, "big")
    data += b"MTrk" + len(track).to_bytes(4, "big") + track
    midi.write_bytes(bytes(data))
    chain = [str(click_sfz), AMP]
    audio = pycarla_rs.render(midi, plugin=chain, tail=0.2, cc={20: "2:Gain"})
    got = [float(audio[0, 4_800 * k]) for k in range(6)]
    assert all(level > 0.1 for level in got[:3]), got
    assert got[3:] == [0.0, 0.0, 0.0], got


def test_a_saved_state_renders_as_its_settings(shared_midi, tmp_path):
    midi = shared_midi / "test01.mid"
    state = tmp_path / "kars.carxs"
    info = pycarla_rs.plugin_info(KARS, save_state=state, params={"Volume": 37.5})
    assert info["name"] == "Kars" and state.is_file()
    by_state = pycarla_rs.render(midi, plugin=KARS, state=state)
    by_params = pycarla_rs.render(midi, plugin=KARS, params={"Volume": 37.5})
    assert np.array_equal(by_state, by_params)
    with pytest.raises(errors.PycarlaError, match="state"):
        pycarla_rs.render(midi, plugin=KARS, state=tmp_path / "missing.carxs")
