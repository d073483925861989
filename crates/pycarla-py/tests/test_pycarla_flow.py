"""pycarla's documented flow with only the import changed, against real Carla on a private
JACK server (dummy backend, a name of this test run) started and stopped by `Carla` — and
every note lands on its exact frame, which pycarla itself does not do."""

import os
import shutil

import numpy as np
import pytest

from pycarla_rs import AudioRecorder, Carla, MIDIPlayer, get_smf_duration

from conftest import click_starts, frame_of, have_carla

FINAL_DECAY = 1.0

pytestmark = pytest.mark.skipif(
    shutil.which("jackd") is None or not have_carla(),
    reason="jackd or Carla is not installed",
)


@pytest.fixture(scope="module")
def carla(click_project):
    carla = Carla(str(click_project), server_name=f"pycarla-py-test-{os.getpid()}")
    carla.start()
    yield carla
    carla.kill()


def test_carla_is_running(carla):
    assert carla.exists()
    assert carla.exists(["Carla:events-in"])
    assert not carla.exists(["Carla:no-such-port"])
    ports = carla.get_ports()
    assert ports["midi_in"] == ["Carla:events-in"]
    assert ports["audio_out"] == ["Carla:audio-out1", "Carla:audio-out2"]
    assert carla.server_name == f"pycarla-py-test-{os.getpid()}"


def test_full_midi_file_in_freewheel_lands_every_note_on_its_frame(carla, known_onsets, tmp_path):
    midi, times = known_onsets
    with MIDIPlayer() as player, AudioRecorder() as recorder:
        duration = get_smf_duration(str(midi))
        # `condition` makes recorder and player start in the same cycle.
        recorder.start(duration + FINAL_DECAY, condition=player.is_ready)
        player.synthesize_midi_file(str(midi), condition=recorder.is_ready, in_fw=True, out_fw=True)
        recorder.wait(in_fw=True, out_fw=True)
        audio = recorder.recorded
        assert audio.dtype == np.float32
        assert audio.shape == (2, frame_of(duration + FINAL_DECAY, 48_000))
        expected = [frame_of(t, 48_000) for t in times]
        assert click_starts(audio[0]) == expected
        assert click_starts(audio[1]) == expected
        recorder.save_recorded(str(tmp_path / "session.wav"))
        assert (tmp_path / "session.wav").stat().st_size > audio.size * 4


def test_asynchronous_file_then_wait(carla, shared_midi):
    midi = str(shared_midi / "test19.mid")
    player, recorder = MIDIPlayer(), AudioRecorder()
    try:
        recorder.start(get_smf_duration(midi) + FINAL_DECAY, condition=player.is_ready)
        player.synthesize_midi_file(midi, sync=False)
        assert player.wait(in_fw=True, out_fw=True) is False
        assert recorder.wait(in_fw=True, out_fw=False) is False
        assert np.any(recorder.recorded)
    finally:
        player.close()
        recorder.close()


def test_one_note(carla):
    player, recorder = MIDIPlayer(), AudioRecorder()
    duration, pitch = 0.5, 64
    recorder.start(duration + FINAL_DECAY)
    player.synthesize_midi_note(pitch, 64, duration, 0, sync=True)
    recorder.wait()
    audio = recorder.recorded
    assert audio.shape == (2, frame_of(duration + FINAL_DECAY, 48_000))
    assert np.any(audio), "Error, no sample != 0"
    player.close()
    recorder.close()


def test_messages_mido_style(carla):
    class Msg:  # what mido gives: .time in seconds since the previous message, .bytes()
        def __init__(self, time, data):
            self.time, self.data, self.is_meta = time, data, False

        def bytes(self):
            return self.data

    messages = [Msg(0.0, [0x90, 60, 100]), Msg(0.25, [0x80, 60, 0]), Msg(0.25, [0x90, 62, 90])]
    with MIDIPlayer() as player, AudioRecorder() as recorder:
        recorder.start(1.0, condition=player.is_ready)
        player.synthesize_messages(messages, sync=True, in_fw=True, out_fw=True)
        recorder.wait(in_fw=True)
        assert click_starts(recorder.recorded[0]) == [0, 24_000]


def test_kill_carla_and_restart(carla):
    carla.kill_carla()
    assert not carla.exists()
    carla.restart_carla()
    assert carla.exists()
    carla.restart()
    assert carla.exists()
