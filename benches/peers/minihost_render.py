#!/usr/bin/env python3
"""Peer benchmark: render Standard MIDI Files offline with minihost.

minihost (https://pypi.org/project/minihost/, GPL-3.0) is an in-process
plugin host: Python bindings (nanobind) over JUCE. It hosts VST3, LV2 and
(on macOS) AudioUnit plugins; it does NOT load VST2 (.so) plugins. An LV2
plugin is given as its bundle directory, e.g. /usr/lib/lv2/Kars.lv2.

What this measures: time the whole process with /usr/bin/time. That covers
Python startup, `import minihost`, loading the plugin ONCE for all files (as a
minihost batch user would, cf. `minihost process` batch mode), and for each
MIDI file in turn: plugin.reset(), render at 48 kHz, block size 4096, 2 s
tail, write OUTDIR/<stem>.wav as 32-bit float. The render is
minihost.render_midi_to_file(), the library's documented MIDI-to-file
path (sample-accurate event offsets inside each block; the whole take is
kept in memory and written at the end). Output has the plugin's own channel
count (Kars: 1). The take length is last note/CC event + tail; trailing
meta events (end of track) are ignored by minihost.

Install:
    python3 -m venv /tmp/minihost-venv
    /tmp/minihost-venv/bin/pip install minihost      # tested with 0.11.0
Run:
    /usr/bin/time -v /tmp/minihost-venv/bin/python minihost_render.py \
        /usr/lib/lv2/Kars.lv2 a.mid b.mid -o OUTDIR
"""
import argparse
import os
import sys


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("plugin", help="plugin path (.lv2 bundle dir or .vst3)")
    ap.add_argument("midi", nargs="+", help="Standard MIDI Files to render")
    ap.add_argument("-o", "--outdir", required=True)
    ap.add_argument("--rate", type=int, default=48000)
    ap.add_argument("--block", type=int, default=4096)
    ap.add_argument("--tail", type=float, default=2.0)
    a = ap.parse_args()

    try:
        import minihost
    except ImportError as e:
        sys.exit(f"minihost_render: cannot import minihost ({e}); "
                 "pip install minihost")
    for m in a.midi:
        if not os.path.isfile(m):
            sys.exit(f"minihost_render: no such MIDI file: {m}")
    os.makedirs(a.outdir, exist_ok=True)

    try:
        # in_channels=0: an instrument; out_channels is clamped to the plugin.
        plugin = minihost.Plugin(a.plugin, sample_rate=a.rate,
                                 max_block_size=a.block, in_channels=0,
                                 out_channels=2)
    except Exception as e:
        sys.exit(f"minihost_render: cannot load plugin {a.plugin}: {e}")
    plugin.non_realtime = True  # offline render

    for m in a.midi:
        stem = os.path.splitext(os.path.basename(m))[0]
        out = os.path.join(a.outdir, stem + ".wav")
        try:
            plugin.reset()  # no voices carried over from the previous file
            frames = minihost.render_midi_to_file(
                plugin, m, out, block_size=a.block, tail_seconds=a.tail,
                bit_depth=32)
        except Exception as e:
            sys.exit(f"minihost_render: rendering {m} failed: {e}")
        if frames <= 0:
            sys.exit(f"minihost_render: {m} rendered no audio")
        print(f"{out}: {frames} frames ({frames / a.rate:.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
