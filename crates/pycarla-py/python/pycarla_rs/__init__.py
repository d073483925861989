"""pycarla-rs from Python: render MIDI into audio through any plugin, on a Rust engine.

pycarla's classes, drop-in (change only the import)::

    from pycarla_rs import Carla, MIDIPlayer, AudioRecorder, get_smf_duration

and the one call pycarla's docs promised::

    import pycarla_rs
    audio = pycarla_rs.render("song.mid", plugin="http://distrho.sf.net/plugins/Kars")
    audio.shape  # (channels, frames), float32

Errors are :mod:`pycarla_rs.errors` exceptions carrying the Rust library's messages. Long
calls release the GIL and stop cleanly on Ctrl-C (``KeyboardInterrupt``).
"""

import os
from pathlib import Path
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

from . import errors
from ._native import (
    AudioRecorder,
    Carla,
    MIDIPlayer,
    Renderer,
    RenderResult,
    __version__,
    _doctor_json,
    _plugin_info_json,
    _render_batch,
    get_smf_duration,
    render,
)
from .errors import PycarlaError

PathLike = Union[str, "os.PathLike[str]"]


def doctor() -> dict:
    """What this machine has for rendering, as ``pycarla doctor --json`` says: ``carla`` (each
    Carla found: ``path``, ``version``, ``formats``, ``found_by``, ``unsupported``), ``jackd``,
    ``fluidsynth``, ``jalv``, ``soundfont``, ``engine`` (what renders the default instrument) and
    ``missing`` (each missing piece with its Debian, Arch and Fedora package)."""
    import json

    return json.loads(_doctor_json())


def plugin_info(
    spec: str,
    *,
    save_state: Optional[PathLike] = None,
    params: Optional[dict] = None,
    preset: Optional[str] = None,
    state: Optional[PathLike] = None,
) -> Any:
    """What Carla sees in a plugin (as ``plugin=`` takes it), a SoundFont, an SFZ or a project,
    as ``pycarla plugin SPEC --json`` prints it: ``name``, ``maker``, ``format``, ``label``,
    ``audio_ins``, ``audio_outs``, ``midi_ins``, ``latency``, ``parameters`` (``index``, ``name``,
    ``symbol``, ``min``, ``max``, ``default``, ``unit``), ``programs``, ``midi_programs``; a list
    of them for a project.

    ``save_state``: after ``state``, ``preset`` and ``params`` (as :func:`render` takes them),
    save the plugin's state there (a VST2 ``.fxp`` for a name ending so, else Carla's
    ``.carxs``), for ``state=`` in later renders: ``pycarla plugin SPEC --save-state FILE``."""
    import json

    return json.loads(
        _plugin_info_json(
            str(spec),
            save_state=str(save_state) if save_state is not None else None,
            params=params,
            preset=preset,
            state=str(state) if state is not None else None,
        )
    )


class Plugin:
    """One plugin of a chain with its own settings, for ``plugin=`` (alone or in a list)::

        render("song.mid", plugin=[Plugin(KARS, params={"Volume": 50}),
                                   Plugin(MVERB, preset="Hall", randomize=["Mix=20:60"])])

    ``params``: ``{PARAM: value}`` (``--set``); ``preset``: a name, index or ``BANK/PROGRAM``
    (``--preset``); ``state``: a ``.carxs``/``.fxp``/``.fxb`` file (``--state``);
    ``randomize``: ``PARAM``, ``PARAM=LOW:HIGH`` or ``"all"`` (``--randomize``); each for this
    plugin's position in the chain.
    """

    def __init__(
        self,
        spec: PathLike,
        *,
        params: Optional[dict] = None,
        preset: Optional[Union[str, int]] = None,
        state: Optional[PathLike] = None,
        randomize: Optional[Union[str, Sequence[str]]] = None,
    ) -> None:
        self.spec = str(spec)
        self.params = dict(params or {})
        self.preset = None if preset is None else str(preset)
        self.state = None if state is None else str(state)
        self.randomize = [randomize] if isinstance(randomize, str) else list(randomize or [])

    def __repr__(self) -> str:
        return f"Plugin({self.spec!r}, params={self.params!r}, preset={self.preset!r}, state={self.state!r}, randomize={self.randomize!r})"


_MIDI_SUFFIXES = (".mid", ".midi")


def _midi_files_under(directory: Path) -> List[Path]:
    return sorted(
        p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in _MIDI_SUFFIXES
    )


def _plan(
    inputs: Union[PathLike, Iterable[Any]],
    output_dir: Optional[PathLike],
    onsets: bool,
) -> List[Tuple[Path, Path, Optional[Path]]]:
    """Each input's WAV (and onsets CSV): `(midi, wav)` pairs as given; files as
    `<output_dir>/<stem>.wav`; directories' MIDI files (recursive, sorted) in a mirrored tree."""
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    out = Path(output_dir) if output_dir is not None else Path(".")
    plan: List[Tuple[Path, Path, Optional[Path]]] = []
    seen = {}
    for item in inputs:
        if isinstance(item, (tuple, list)):
            midi, wav = Path(item[0]), Path(item[1])
            plan.append((midi, wav, wav.with_suffix(".csv") if onsets else None))
            continue
        path = Path(item)
        named = (
            [(m, m.relative_to(path).with_suffix("")) for m in _midi_files_under(path)]
            if path.is_dir()
            else [(path, Path(path.stem))]
        )
        for midi, relative in named:
            if relative in seen:
                raise errors.UsageError(
                    f"{seen[relative]} and {midi} would both write {relative}: their outputs "
                    "would overwrite each other"
                )
            seen[relative] = midi
            wav = out / relative.with_suffix(".wav")
            plan.append((midi, wav, wav.with_suffix(".csv") if onsets else None))
    return plan


def render_batch(
    inputs: Union[PathLike, Iterable[Any]],
    output_dir: Optional[PathLike] = None,
    *,
    jobs: int = 1,
    skip_existing: bool = False,
    manifest: Optional[PathLike] = None,
    onsets: bool = False,
    shard: Optional[Tuple[int, int]] = None,
    **options: Any,
) -> List[RenderResult]:
    """Renders many MIDI files through one engine kept across files.

    ``inputs``: MIDI files, directories (their ``*.mid``/``*.midi`` files, searched
    recursively, render into a tree under ``output_dir`` that mirrors theirs), or
    ``(midi, wav)`` pairs. ``jobs``: files rendered at a time (offline engine: one worker
    process each). ``skip_existing``: inputs whose WAV exists are skipped (outputs appear only
    once complete, so an interrupted batch resumes). ``manifest``: a JSON-lines file, one line
    per input as it finishes, as the ``pycarla`` command writes it. ``onsets``: a CSV of note-on
    onsets beside each WAV. ``shard=(k, n)``: only every n-th input of the sorted plan, from
    the k-th. ``options``: the instrument and render options of :func:`render`.

    One file's failure does not stop the others: each gets a :class:`RenderResult` whose
    ``status`` is ``"rendered"``, ``"skipped"`` or ``"failed"`` (``error`` holds the
    exception).
    """
    plan = _plan(inputs, output_dir, onsets)
    if shard is not None:
        k, n = shard
        if not (0 <= k < n):
            raise errors.UsageError(f"shard ({k}, {n}): expected 0 <= k < n")
        # The command's rule: the inputs sorted by path, every n-th from the k-th, so that
        # both split one dataset into the same shards.
        plan = sorted(plan, key=lambda job: str(job[0]))[k::n]
    return _render_batch(
        [(str(m), str(w), str(o) if o is not None else None) for m, w, o in plan],
        jobs=jobs,
        skip_existing=skip_existing,
        manifest=str(manifest) if manifest is not None else None,
        **options,
    )


__all__ = [
    "AudioRecorder",
    "Carla",
    "MIDIPlayer",
    "Plugin",
    "PycarlaError",
    "RenderResult",
    "Renderer",
    "__version__",
    "doctor",
    "errors",
    "plugin_info",
    "get_smf_duration",
    "render",
    "render_batch",
]
