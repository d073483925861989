"""Fixtures shared by the tests: the repository's MIDI files, MIDI files with known onsets, a
one-sample click SFZ (every note-on sounds on its exact frame) and a Carla project playing it."""

import os
import struct
import wave
from fractions import Fraction
from pathlib import Path
from typing import List, Sequence, Tuple

import pytest

REPO = Path(__file__).resolve().parents[3]
# The shared test files, committed in the repository.
SHARED_MIDI = REPO / "tests" / "data" / "midi"
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
KARS = "http://distrho.sf.net/plugins/Kars"
# Where skipped Carla tests leave a line each, for `cargo xtask ci`'s summary (the Rust tests
# write to the same file).
CARLA_SKIPS = REPO / "target" / "carla-skipped-tests.txt"


def have_carla() -> bool:
    """Whether a usable Carla is on this machine, as the library finds it (pycarla_rs.doctor)."""
    import pycarla_rs

    return any(found["unsupported"] is None for found in pycarla_rs.doctor()["carla"])


needs_carla = pytest.mark.skipif(not have_carla(), reason="Carla is not installed")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Records every test skipped for lack of Carla, so the skip shows in CI's summary."""
    if report.skipped and "Carla is not installed" in str(report.longrepr):
        CARLA_SKIPS.parent.mkdir(parents=True, exist_ok=True)
        with open(CARLA_SKIPS, "a", encoding="utf-8") as out:
            out.write(f"pytest\t{report.nodeid}\tCarla is not installed\n")


@pytest.fixture(scope="session")
def shared_midi() -> Path:
    assert SHARED_MIDI.is_dir(), f"{SHARED_MIDI} is missing"
    return SHARED_MIDI


def _vlq(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def write_midi(
    path: Path,
    notes: Sequence[Tuple[int, int]],
    ticks_per_beat: int = 96,
    tempo: int = 333_333,
    end_tick: int = 0,
) -> List[Fraction]:
    """A format-0 file with one tempo and a note-on at each `(tick, key)` (note-offs 10 ticks
    later); returns each note-on's exact time in seconds."""
    events = []  # (tick, order, bytes)
    events.append((0, 0, b"\xff\x51\x03" + tempo.to_bytes(3, "big")))
    for tick, key in notes:
        events.append((tick, 2, bytes([0x90, key, 100])))
        events.append((tick + 10, 1, bytes([0x80, key, 0])))
    events.sort(key=lambda e: (e[0], e[1]))
    last = max(end_tick, events[-1][0])
    track = b""
    now = 0
    for tick, _, data in events:
        track += _vlq(tick - now) + data
        now = tick
    track += _vlq(last - now) + b"\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, ticks_per_beat)
    path.write_bytes(header + b"MTrk" + struct.pack(">I", len(track)) + track)
    return [Fraction(tick * tempo, ticks_per_beat * 1_000_000) for tick, _ in sorted(notes)]


def frame_of(seconds: Fraction, sample_rate: int) -> int:
    """round(t · sr), half to even (Python's round of a Fraction)."""
    return round(seconds * sample_rate)


@pytest.fixture(scope="session")
def known_onsets(tmp_path_factory) -> Tuple[Path, List[Fraction]]:
    """A MIDI file whose note-on times are known exactly, at awkward ticks."""
    path = tmp_path_factory.mktemp("midi") / "known.mid"
    ticks = [0, 1, 7, 95, 96, 97, 250, 251, 480, 481, 777, 1000, 1003, 1500]
    times = write_midi(path, [(tick, 40 + i) for i, tick in enumerate(ticks)])
    return path, times


@pytest.fixture(scope="session")
def click_sfz(tmp_path_factory) -> Path:
    """An SFZ playing a one-sample click at full level on every key, channel and velocity."""
    directory = tmp_path_factory.mktemp("click")
    with wave.open(str(directory / "click.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48_000)
        w.writeframes(struct.pack("<4h", 32767, 0, 0, 0))
    sfz = directory / "click.sfz"
    sfz.write_text(
        "<region> sample=click.wav loop_mode=one_shot amp_veltrack=0 ampeg_attack=0 "
        "ampeg_release=0\n"
    )
    return sfz


@pytest.fixture(scope="session")
def click_project(click_sfz: Path) -> Path:
    """A Carla patchbay project playing the click SFZ (as Carla 2.5.9 saves one)."""
    project = click_sfz.with_name("click.carxp")
    project.write_text(
        f"""<?xml version='1.0' encoding='UTF-8'?>
<!DOCTYPE CARLA-PROJECT>
<CARLA-PROJECT VERSION='2.5'>
 <EngineSettings>
  <ForceStereo>false</ForceStereo>
  <PreferPluginBridges>false</PreferPluginBridges>
  <PreferUiBridges>true</PreferUiBridges>
  <UIsAlwaysOnTop>true</UIsAlwaysOnTop>
  <MaxParameters>200</MaxParameters>
  <UIBridgesTimeout>4000</UIBridgesTimeout>
 </EngineSettings>
 <Transport>
  <BeatsPerMinute>120</BeatsPerMinute>
 </Transport>
 <Plugin>
  <Info>
   <Type>SFZ</Type>
   <Name>Instrument</Name>
   <Filename>{click_sfz}</Filename>
   <Label>click</Label>
  </Info>
  <Data>
   <Active>Yes</Active>
   <ControlChannel>1</ControlChannel>
   <Options>0x0</Options>
  </Data>
 </Plugin>
 <Patchbay>
  <Connection>
   <Source>Midi Input:Capture 1</Source>
   <Target>Instrument:events-in</Target>
  </Connection>
  <Connection>
   <Source>Instrument:out-left</Source>
   <Target>Audio Output:Left</Target>
  </Connection>
  <Connection>
   <Source>Instrument:out-right</Source>
   <Target>Audio Output:Right</Target>
  </Connection>
 </Patchbay>
 <ExternalPatchbay>
 </ExternalPatchbay>
</CARLA-PROJECT>
"""
    )
    return project


def click_starts(channel) -> List[int]:
    """The first non-zero frame of each run of non-zero samples (the resampler may spread a
    one-sample click over the next samples; it never starts it early)."""
    import numpy as np

    sounding = np.flatnonzero(channel != 0.0)
    if len(sounding) == 0:
        return []
    starts = [int(sounding[0])]
    starts += [int(f) for prev, f in zip(sounding[:-1], sounding[1:]) if f != prev + 1]
    return starts
