//! The library's errors as Python exceptions (`pycarla_rs.errors`): one class per kind, the
//! message unchanged, and `retryable` set as [`pycarla::Error::is_retryable`] says.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// The Python class for each kind of error.
fn class_name(error: &pycarla::Error) -> &'static str {
    use pycarla::Error;
    match error {
        Error::Midi(_) => "MidiError",
        Error::Usage(_) => "UsageError",
        Error::NoInstrumentFile { .. } => "InstrumentNotFoundError",
        Error::Missing { .. } => "NotInstalledError",
        Error::PluginLoad { .. } => "PluginLoadError",
        Error::PluginCrashed { .. } => "PluginCrashedError",
        Error::HostDied { .. } => "HostDiedError",
        Error::Realtime(_) | Error::Process(_) => "JackError",
        Error::Silent { .. } | Error::Short { .. } | Error::NotesMadeNoSound { .. } => {
            "RenderCheckError"
        }
        Error::PluginStalled { .. } => "PluginCrashedError",
        Error::Worker { .. } => "WorkerError",
        Error::Io { .. } => "RenderIOError",
        Error::Fetch(_) => "DownloadError",
        _ => "PycarlaError",
    }
}

/// An error kept without the GIL (a batch's file that failed on a worker thread), made into
/// its exception later.
#[derive(Debug, Clone)]
pub struct PendingError {
    class: &'static str,
    message: String,
    retryable: bool,
}

impl PendingError {
    /// What `error` will raise.
    pub fn of(error: &pycarla::Error) -> PendingError {
        PendingError {
            class: class_name(error),
            message: error.to_string(),
            retryable: error.is_retryable(),
        }
    }

    /// The exception of `pycarla_rs.errors`.
    pub fn into_py(self, py: Python<'_>) -> PyErr {
        let made = (|| -> PyResult<PyErr> {
            let class = py.import("pycarla_rs.errors")?.getattr(self.class)?;
            let value = class.call1((self.message.clone(),))?;
            value.setattr("retryable", self.retryable)?;
            Ok(PyErr::from_value(value))
        })();
        made.unwrap_or_else(|_| PyRuntimeError::new_err(self.message))
    }
}

/// `error` as an exception of `pycarla_rs.errors`.
pub fn to_py(py: Python<'_>, error: pycarla::Error) -> PyErr {
    PendingError::of(&error).into_py(py)
}

/// A usage error (bad arguments) as `pycarla_rs.errors.UsageError`.
pub fn usage(py: Python<'_>, message: impl Into<String>) -> PyErr {
    to_py(py, pycarla::Error::Usage(message.into()))
}

/// Converts a library result, with the GIL held.
pub trait IntoPy<T> {
    /// The value, or the error as its Python exception.
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, pycarla::Error> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|error| to_py(py, error))
    }
}
