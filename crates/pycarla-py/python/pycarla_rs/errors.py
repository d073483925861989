"""The exceptions pycarla_rs raises: one class per kind of failure, all `PycarlaError`.

Each carries the Rust library's message unchanged (``str(error)``) and ``retryable``:
whether rendering again (with a restarted synth) could help, as ``retries=`` does.
"""


class PycarlaError(Exception):
    """Base of every error of pycarla_rs."""

    #: Whether restarting the synth (and server) and rendering again could help.
    retryable: bool = False


class MidiError(PycarlaError, ValueError):
    """A MIDI file could not be read or parsed, or MIDI messages or a note are invalid."""


class UsageError(PycarlaError, ValueError):
    """Options that do not fit together, or out of range."""


class InstrumentNotFoundError(PycarlaError, FileNotFoundError):
    """An instrument file (SoundFont, SFZ, Carla project) that does not exist."""


class NotInstalledError(PycarlaError):
    """A program the instrument needs (Carla, jackd, fluidsynth, jalv, …) is not installed."""


class PluginLoadError(PycarlaError):
    """Carla could not load the plugins or the project; nothing was rendered."""


class PluginCrashedError(PycarlaError):
    """The offline engine's worker died while rendering: a plugin crashed (or was killed)."""


class HostDiedError(PycarlaError):
    """The synth host died during a render (JACK engine)."""


class JackError(PycarlaError):
    """Starting jackd or the synth host, or playing or recording over JACK, failed."""


class RenderCheckError(PycarlaError):
    """The render is silent while the MIDI plays notes, or shorter than asked for."""


class WorkerError(PycarlaError):
    """The offline engine's worker failed in another way (writing the audio, a bad job)."""


class RenderIOError(PycarlaError, OSError):
    """Reading or writing a file failed."""


class DownloadError(PycarlaError):
    """Installing Carla failed."""


__all__ = [
    "PycarlaError",
    "MidiError",
    "UsageError",
    "InstrumentNotFoundError",
    "NotInstalledError",
    "PluginLoadError",
    "PluginCrashedError",
    "HostDiedError",
    "JackError",
    "RenderCheckError",
    "WorkerError",
    "RenderIOError",
    "DownloadError",
]
