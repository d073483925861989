//! pycarla-rs from Python: the `pycarla_rs._native` extension module (PyO3), wrapped by the
//! `pycarla_rs` package (`python/pycarla_rs`).
//!
//! - pycarla's classes, drop-in: [`compat::Carla`], [`compat::MIDIPlayer`],
//!   [`compat::AudioRecorder`], [`compat::get_smf_duration`];
//! - the one call: [`render::render`] → a `(channels, frames)` float32 numpy array, the batch
//!   behind `render_batch`, and [`render::Renderer`] for many files through one engine.
//!
//! Every blocking call releases the GIL and runs where Ctrl-C can stop it cleanly
//! ([`run`]); the library's errors become `pycarla_rs.errors` exceptions with the same
//! messages ([`errors`]). The offline engine's worker is this Python with this module
//! (`_worker_main`), so the wheel needs no second executable.

mod batch;
mod compat;
mod controls;
mod errors;
mod midi_source;
mod options;
mod render;
mod run;

use std::ffi::OsString;

use pyo3::prelude::*;

/// The offline engine's worker, run as `python -c "…"` by the library (never by hand): jobs on
/// stdin, replies on stdout.
#[pyfunction]
fn _worker_main(py: Python<'_>) -> i32 {
    let code = py.detach(pycarla::offline::worker_main);
    if code == std::process::ExitCode::SUCCESS {
        0
    } else {
        1
    }
}

/// A dataset's JACK worker (`render_batch` with `jobs > 1` on JACK), run as `python -c "…"` by
/// the library (never by hand): its plan on stdin, one line per file on stdout.
#[pyfunction]
fn _jack_worker_main(py: Python<'_>) -> i32 {
    let code = py.detach(pycarla::dataset::jack_worker_main);
    if code == std::process::ExitCode::SUCCESS {
        0
    } else {
        1
    }
}

/// The JACK engine's Carla host (`pycarla-jack-host`), run as `python -c "…" ARGS…` by the
/// library (never by hand): its arguments are the command line after the script.
#[pyfunction]
fn _jack_host_main(py: Python<'_>, args: Vec<String>) -> i32 {
    let args: Vec<OsString> = args.into_iter().map(OsString::from).collect();
    let code = py.detach(move || pycarla::jack_host::jack_host_main(args));
    if code == std::process::ExitCode::SUCCESS {
        0
    } else {
        1
    }
}

/// Makes the library start its offline workers as this Python running [`_worker_main`]
/// (unless `$PYCARLA_WORKER` names a worker executable).
fn use_python_as_worker(py: Python<'_>) -> PyResult<()> {
    let executable: Option<String> = py.import("sys")?.getattr("executable")?.extract()?;
    if let Some(executable) = executable.filter(|e| !e.is_empty()) {
        // SIGINT's default action, as the worker executable has: Ctrl-C in a terminal reaches
        // the worker too, and the caller stops the render.
        let script = "import signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); \
                      from pycarla_rs._native import _worker_main; sys.exit(_worker_main())";
        pycarla::offline::set_worker_command(
            executable.clone().into(),
            vec![OsString::from("-c"), OsString::from(script)],
        );
        // The same for the JACK engine's Carla host: the wheel ships no executable of its own.
        let script = "import sys; from pycarla_rs._native import _jack_host_main; \
                      sys.exit(_jack_host_main(sys.argv[1:]))";
        pycarla::jack_host::set_jack_host_command(
            executable.clone().into(),
            vec![OsString::from("-c"), OsString::from(script)],
        );
        // And a dataset's JACK workers (several files at a time on JACK).
        let script = "import sys; from pycarla_rs._native import _jack_worker_main; \
                      sys.exit(_jack_worker_main())";
        pycarla::dataset::set_jack_worker_command(
            executable.into(),
            vec![OsString::from("-c"), OsString::from(script)],
        );
    }
    Ok(())
}

/// What this machine has for rendering, as `pycarla doctor --json` prints it (a JSON text the
/// package turns into a dict).
#[pyfunction]
fn _doctor_json(py: Python<'_>) -> PyResult<String> {
    let report = py.detach(pycarla::doctor::doctor);
    serde_json::to_string(&report)
        .map_err(|error| pyo3::exceptions::PyRuntimeError::new_err(error.to_string()))
}

/// What Carla sees in a plugin, as `pycarla plugin SPEC --json` prints it (a JSON text the
/// package turns into a dict).
#[pyfunction]
#[pyo3(signature = (spec, save_state=None, params=None, preset=None, state=None))]
fn _plugin_info_json(
    py: Python<'_>,
    spec: String,
    save_state: Option<std::path::PathBuf>,
    params: Option<std::collections::BTreeMap<String, f64>>,
    preset: Option<options::Strings>,
    state: Option<options::Strings>,
) -> PyResult<String> {
    let instrument = if spec.to_ascii_lowercase().ends_with(".carxp") {
        pycarla::Instrument::CarlaProject(spec.into())
    } else {
        pycarla::Instrument::Plugins(vec![spec])
    };
    let controls = controls::ControlKeywords {
        params,
        preset,
        state,
        ..Default::default()
    }
    .into_controls(py, &[])?;
    let described = py
        .detach(|| pycarla::offline::describe_with(&instrument, &controls, save_state.as_deref()))
        .map_err(|error| errors::to_py(py, error))?;
    let text = match described.as_slice() {
        [one] => serde_json::to_string(one),
        many => serde_json::to_string(many),
    };
    text.map_err(|error| pyo3::exceptions::PyRuntimeError::new_err(error.to_string()))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    use_python_as_worker(m.py())?;
    m.add_function(wrap_pyfunction!(render::render, m)?)?;
    m.add_function(wrap_pyfunction!(batch::_render_batch, m)?)?;
    m.add_function(wrap_pyfunction!(compat::get_smf_duration, m)?)?;
    m.add_function(wrap_pyfunction!(_worker_main, m)?)?;
    m.add_function(wrap_pyfunction!(_doctor_json, m)?)?;
    m.add_function(wrap_pyfunction!(_plugin_info_json, m)?)?;
    m.add_function(wrap_pyfunction!(_jack_host_main, m)?)?;
    m.add_function(wrap_pyfunction!(_jack_worker_main, m)?)?;
    m.add_class::<render::Renderer>()?;
    m.add_class::<render::RenderResult>()?;
    m.add_class::<compat::Carla>()?;
    m.add_class::<compat::MIDIPlayer>()?;
    m.add_class::<compat::AudioRecorder>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
