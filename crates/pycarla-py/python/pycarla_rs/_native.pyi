"""Type stubs of the extension module (Rust, PyO3). See the package's docstring."""

import os
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Literal, Optional, Sequence, Tuple, Union

from typing_extensions import TypedDict, Unpack

import numpy as np
import numpy.typing as npt

_Path = Union[str, os.PathLike[str]]
_Plugins = Union[_Path, Sequence[_Path]]
# A path, a Standard MIDI File's bytes, a mido.MidiFile or pretty_midi.PrettyMIDI (duck-typed),
# or (seconds, bytes) events at absolute times.
_Midi = Union[_Path, bytes, bytearray, Any, Sequence[Tuple[float, bytes]]]
_Tail = Union[float, Literal["auto"]]
_Engine = Optional[Literal["auto", "offline", "jack"]]
_Format = Literal["f32", "wav24", "wav16", "flac16", "flac24"]  # FLAC: files only (render_batch, render_file)
_Audio = npt.NDArray[np.float32]

class _RenderOptions(TypedDict, total=False):
    """The keywords :func:`render`, :class:`Renderer` and ``render_batch`` share (one list, as
    the extension reads them); a keyword left out takes the default in its comment."""

    plugin: Optional[_Plugins]  # None
    project: Optional[_Path]  # None
    sf2: Optional[_Path]  # None
    sfz: Optional[_Path]  # None
    lv2: Optional[str]  # None
    host_cmd: Optional[Union[str, Sequence[str]]]  # None
    midi_port: str  # "Carla:events-in"
    audio_ports: str  # "Carla:audio-out*"
    server: Optional[str]  # None
    engine: _Engine  # None
    sample_rate: int  # 48000
    period: Optional[int]  # None
    tail: _Tail  # 2.0
    realtime: bool  # False
    format: _Format  # "f32"
    retries: int  # 0
    timeout: Optional[float]  # None
    ready_timeout: float  # 20.0
    keep_state: bool  # False
    gain: float  # 0.0: dB before clipping is counted and the samples are written
    normalize: Optional[float]  # None: LUFS (EBU R128) each file is normalised to, -70..0
    seed: int  # 0: the seed rule's seed
    params: Optional[Dict[str, float]]  # None: {"[N:]PARAM": value}, the CLI's --set
    stall_timeout: float  # 10.0: offline, seconds without a finished block before a file fails
    preset: Optional[Union[str, Sequence[str]]]  # None: "[N:]NAME|INDEX|BANK/PROGRAM", the CLI's --preset

__version__: str

def render(
    midi: _Midi,
    output: Optional[_Path] = None,
    *,
    onsets: Optional[_Path] = None,
    **options: Unpack[_RenderOptions],
) -> _Audio:
    """Renders MIDI; returns its audio, shape ``(channels, frames)``, float32.

    ``midi``: a path, the bytes of a Standard MIDI File, a ``mido.MidiFile`` or a
    ``pretty_midi.PrettyMIDI`` (the same samples as the file they came from), or a list of
    ``(seconds, bytes)`` events at absolute times. Without ``output`` the WAV goes to a temporary file, deleted after reading.
    Instrument (at most one): ``plugin`` (an LV2 URI, a ``.so`` — VST2, LADSPA, DSSI —, a
    ``.vst3``, an ``.sf2``/``.sf3`` or an ``.sfz``; a list is a chain: instrument, then
    effects), ``project`` (a Carla ``.carxp``), ``sf2``, ``sfz``, ``lv2``, ``host_cmd`` (any
    JACK program, whose ports ``midi_port``/``audio_ports`` are globs); none: the General MIDI
    SoundFont (or, with ``server``, the synth running there).
    ``engine``: ``"offline"`` (Carla's library, as fast as the plugins allow), ``"jack"`` or
    ``None``/``"auto"`` (offline wherever Carla can host the instrument). ``period``: frames
    per block (offline, default 4096) or per JACK cycle (default 1024). ``tail``: seconds after
    the last message (exactly ``round((duration + tail) * sample_rate)`` frames), or
    ``"auto"``. ``retries``: renders again after a crash. ``onsets``: writes a CSV of the
    note-on frames. Every note-on at time t sounds on frame ``round(t * sample_rate)``.

    Raises :class:`pycarla_rs.errors.PycarlaError` subclasses with the library's messages;
    Ctrl-C stops the render (children stopped, ``output + ".partial"`` finalized) and raises
    ``KeyboardInterrupt``.
    """

def _render_batch(
    inputs: List[str],
    pairs: List[Tuple[str, str]],
    output_dir: str,
    *,
    jobs: int = 1,
    skip_existing: bool = False,
    manifest: Optional[str] = None,
    onsets: bool = False,
    shard: Optional[Tuple[int, int]] = None,
    shards: Optional[int] = None,
    stems: Optional[str] = None,
    map_file: Optional[str] = None,
    map_json: Optional[str] = None,
    variant_specs: List[str] = ...,
    variants_file: Optional[str] = None,
    variants_json: Optional[str] = None,
    **options: Unpack[_RenderOptions],
) -> List[RenderResult]: ...
def get_smf_duration(path: _Path) -> float:
    """The duration of a MIDI file in seconds (mido's ``MidiFile.length``)."""

def _worker_main() -> int: ...
def _doctor_json() -> str: ...
def _plugin_info_json(
    spec: str,
    save_state: Optional[str] = None,
    params: Optional[dict] = None,
    preset: Optional[str] = None,
    state: Optional[str] = None,
) -> str: ...
def _jack_host_main(args: list[str]) -> int: ...

class RenderResult:
    """How one file of a batch went."""

    midi: Path
    output: Path
    status: Literal["rendered", "skipped", "failed"]
    frames: int
    channels: int
    sample_rate: int
    engine: Optional[Literal["offline", "jack"]]
    latency: int
    peak: float
    seconds: float
    attempts: int
    error: Optional[BaseException]
    variant: Optional[str]
    stems: Optional[int]
    @property
    def ok(self) -> bool: ...

class Renderer:
    """One engine kept across files: a worker process (offline) or a server and synth (JACK).
    Every file still starts from the instrument's initial state. Keywords as :func:`render`."""

    def __init__(self, **options: Unpack[_RenderOptions]) -> None: ...
    def render(
        self, midi: _Midi, output: Optional[_Path] = None, *, onsets: Optional[_Path] = None
    ) -> _Audio:
        """Renders ``midi``; returns its audio ``(channels, frames)`` float32."""
    def render_file(
        self, midi: _Path, output: _Path, *, onsets: Optional[_Path] = None
    ) -> RenderResult:
        """Renders ``midi`` into the WAV ``output`` (no audio read back)."""
    @property
    def sample_rate(self) -> int: ...
    @property
    def engine(self) -> Literal["offline", "jack"]: ...
    def close(self) -> None:
        """Stops the engine."""
    def __enter__(self) -> "Renderer": ...
    def __exit__(self, *args: Any) -> bool: ...

class Carla:
    """Carla running a project on a JACK server (pycarla's ``Carla``).

    No ``server_options``: a private headless server (dummy backend, ``sample_rate``,
    ``period``) named ``server_name`` or ``pycarla-N``; with options (e.g.
    ``["-R", "-d", "alsa"]``) jackd gets them. Carla runs headless in patchbay mode with a
    private configuration. ``MIDIPlayer()``/``AudioRecorder()`` use the last started one's
    server.
    """

    def __init__(
        self,
        proj_path: _Path,
        server_options: List[str] = [],
        min_wait: float = 0,
        nogui: bool = True,
        *,
        server_name: Optional[str] = None,
        sample_rate: int = 48000,
        period: int = 1024,
        ready_timeout: float = 20.0,
    ) -> None: ...
    def start(self) -> None:
        """Starts the server and Carla; waits until Carla is ready, then ``min_wait`` s."""
    def kill(self) -> None:
        """Stops Carla, then the server."""
    def kill_carla(self) -> None:
        """Stops Carla only."""
    def restart(self) -> None:
        """Restarts the server and Carla."""
    def restart_carla(self) -> None:
        """Restarts Carla only."""
    def exists(self, ports: List[str] = ["Carla:events*", "Carla:audio*"]) -> bool:
        """Whether Carla and the server run and every port glob matches a port."""
    def wait_exists(self, timeout: float = 20.0) -> None: ...
    def get_ports(self) -> Dict[str, List[str]]:
        """``{"midi_in": [...], "audio_out": [...]}``"""
    @property
    def server_name(self) -> Optional[str]: ...
    @property
    def proj_path(self) -> Path: ...
    @property
    def min_wait(self) -> float: ...
    def __enter__(self) -> "Carla": ...
    def __exit__(self, *args: Any) -> bool: ...

class MIDIPlayer:
    """Plays MIDI into a synth over JACK, every message on its exact frame."""

    MIDI_PORT: str
    def __init__(self, server: Optional[str] = None, port: Optional[str] = None) -> None: ...
    def activate(self) -> None: ...
    def synthesize_messages(
        self,
        messages: Iterable[Any],
        sync: bool = False,
        condition: Optional[Callable[[], bool]] = None,
        **kwargs: Any,
    ) -> None:
        """Plays mido-style messages (``.time``: seconds since the previous one; ``.bytes()``)
        or ``(seconds, bytes)`` pairs. ``sync``: waits (``kwargs`` go to :meth:`wait`)."""
    def synthesize_midi_file(
        self,
        midifile: Any,
        sync: bool = False,
        condition: Optional[Callable[[], bool]] = None,
        **kwargs: Any,
    ) -> None:
        """Plays a MIDI file (a path or a ``mido.MidiFile``)."""
    def synthesize_midi_note(
        self,
        pitch: int,
        velocity: int,
        duration: float,
        sustain: int = 0,
        soft: int = 0,
        sostenuto: int = 0,
        channel: int = 0,
        program: int = 0,
        sync: bool = False,
        condition: Optional[Callable[[], bool]] = None,
        **kwargs: Any,
    ) -> None:
        """Plays one note with its pedals and program."""
    def is_ready(self) -> bool: ...
    def wait(self, timeout: Optional[float] = None, in_fw: bool = False, out_fw: bool = False) -> bool:
        """Waits until all messages are sent; returns whether ``timeout`` was reached."""
    def clear(self) -> None: ...
    def close(self) -> None: ...
    @property
    def server(self) -> str: ...
    @property
    def port(self) -> str: ...
    def __enter__(self) -> "MIDIPlayer": ...
    def __exit__(self, *args: Any) -> bool: ...

class AudioRecorder:
    """Records a synth's outputs over JACK; ``recorded`` is ``(channels, frames)`` float32."""

    AUDIO_PORT: str
    def __init__(self, server: Optional[str] = None, ports: Optional[str] = None) -> None: ...
    def activate(self) -> None: ...
    def start(
        self,
        duration: Optional[float] = None,
        sync: bool = False,
        condition: Optional[Callable[[], bool]] = None,
        **kwargs: Any,
    ) -> None:
        """Records ``duration`` seconds; ``condition=player.is_ready`` starts on the same frame
        as that player's next take."""
    def is_ready(self) -> bool: ...
    def wait(self, timeout: Optional[float] = None, in_fw: bool = False, out_fw: bool = False) -> bool:
        """Waits until the recording is complete; returns whether ``timeout`` was reached."""
    @property
    def recorded(self) -> _Audio: ...
    def save_recorded(self, filename: _Path) -> None:
        """Writes the recording as a 32-bit float WAV."""
    def clear(self) -> None: ...
    def close(self) -> None: ...
    @property
    def server(self) -> str: ...
    @property
    def ports(self) -> str: ...
    def __enter__(self) -> "AudioRecorder": ...
    def __exit__(self, *args: Any) -> bool: ...
