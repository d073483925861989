#!/usr/bin/env python3
"""Peer benchmark: render one Standard MIDI File with pycarla 0.3.3 on a running JACK server.

pycarla (https://pypi.org/project/pycarla/, the Python library pycarla-rs succeeds) plays
MIDI into a JACK client called `Carla` and records its outputs, in freewheel. This script is
its documented full-file snippet ("Playing and recording a full MIDI file using freewheeling
mode"), nothing added: MIDIPlayer and AudioRecorder on the server named by
JACK_DEFAULT_SERVER, `Carla:events-in` in, `Carla:audio-out*` out, a recording of the file's
duration plus TAIL seconds, freewheel in and out, the take saved as a WAV.

What the bench times is the whole process (Python start-up and imports included), like the
pycarla-rs rows beside it. The instrument (whatever registered as `Carla`) is already running.

Install:
    python3 -m venv VENV && VENV/bin/pip install pycarla==0.3.3
Run:
    JACK_DEFAULT_SERVER=NAME VENV/bin/python pycarla_render.py FILE.mid OUT.wav [TAIL]
"""
import sys

from pycarla import AudioRecorder, MIDIPlayer, get_smf_duration


def main():
    midi, out = sys.argv[1], sys.argv[2]
    tail = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
    duration = get_smf_duration(midi)
    with MIDIPlayer() as player, AudioRecorder() as recorder:
        recorder.start(duration + tail, condition=player.is_ready)
        player.synthesize_midi_file(
            midi, condition=recorder.is_ready, in_fw=True, out_fw=True
        )
        recorder.wait(in_fw=True, out_fw=True)
        recorder.save_recorded(out)


if __name__ == "__main__":
    main()
