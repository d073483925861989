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


def render_batch(
    inputs: Union[PathLike, Iterable[Any]],
    output_dir: Optional[PathLike] = None,
    *,
    jobs: int = 1,
    skip_existing: bool = False,
    manifest: Optional[PathLike] = None,
    onsets: bool = False,
    shard: Optional[Tuple[int, int]] = None,
    shards: Optional[int] = None,
    stems: Optional[str] = None,
    map: Optional[Union[PathLike, dict]] = None,
    variants: Optional[Union[PathLike, dict]] = None,
    **options: Any,
) -> List[RenderResult]:
    """Renders a dataset: the plan, shards, variants, stems, skip-existing and manifest of the
    ``pycarla render`` command, from the same library layer — the same request writes the same
    files and the same manifest lines either way.

    ``inputs``: MIDI files, directories (their ``*.mid``/``*.midi`` files, searched
    recursively, render into a tree under ``output_dir``, default ``.``, that mirrors theirs),
    or ``(midi, output)`` pairs. ``jobs``: files rendered at a time (offline engine: one worker
    process each; with stems, parts at a time). ``skip_existing``: inputs whose output exists
    are skipped (outputs appear only once complete, so an interrupted batch resumes).
    ``manifest``: a JSON-lines file, one line per input as it finishes (``--manifest``).
    ``onsets``: a CSV of note-on onsets beside each output. ``shard=(k, n)``: only every n-th
    input of the sorted plan, from the k-th (``--shard K/N``); without it, Slurm's
    ``SLURM_ARRAY_TASK_ID``/``SLURM_ARRAY_TASK_COUNT`` or Kubernetes'
    ``JOB_COMPLETION_INDEX`` with ``shards=n`` choose it, as for the command.
    ``stems``: ``"channel"``, ``"track"`` or ``"program"``: each input becomes a directory of
    stems, their MIDI and metadata (``--stems``). ``map``: which instrument plays which part, a
    TOML file or a dict of the same shape (``--map``; needs ``stems``). ``variants``: a TOML
    file of named chains (``--variants``), or a dict ``{name: spec or [spec, …]}`` (each as
    ``--variant NAME=SPEC,…``, with this call's plugin settings) whose values may also be
    tables in the file's shape (``{"plugin": …, "params": {…}}``); each variant renders every
    input to ``song.NAME.wav``. ``options``: the instrument and render options of
    :func:`render` (``format`` may be ``"flac16"``/``"flac24"`` here; ``normalize`` in LUFS).

    One file's failure does not stop the others: each gets a :class:`RenderResult` whose
    ``status`` is ``"rendered"``, ``"skipped"`` or ``"failed"`` (``error`` holds the
    exception), in the plan's order (per variant).
    """
    import json

    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    files: List[str] = []
    pairs: List[Tuple[str, str]] = []
    for item in inputs:
        if isinstance(item, (tuple, list)):
            midi, output = item
            pairs.append((os.fspath(midi), os.fspath(output)))
        else:
            files.append(os.fspath(item))
    tables: dict = {}
    variant_specs: List[str] = []
    if isinstance(variants, dict):
        for name, chain in variants.items():
            if isinstance(chain, dict):
                tables[name] = chain
            elif isinstance(chain, (str, os.PathLike)):
                variant_specs.append(f"{name}={os.fspath(chain)}")
            else:
                variant_specs.append(f"{name}=" + ",".join(os.fspath(spec) for spec in chain))
    return _render_batch(
        files,
        pairs,
        os.fspath(output_dir) if output_dir is not None else ".",
        jobs=jobs,
        skip_existing=skip_existing,
        manifest=os.fspath(manifest) if manifest is not None else None,
        onsets=onsets,
        shard=tuple(shard) if shard is not None else None,
        shards=shards,
        stems=stems,
        map_file=None if map is None or isinstance(map, dict) else os.fspath(map),
        map_json=json.dumps(map) if isinstance(map, dict) else None,
        variant_specs=variant_specs,
        variants_file=(
            None if variants is None or isinstance(variants, dict) else os.fspath(variants)
        ),
        variants_json=json.dumps({"variant": tables}) if tables else None,
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
