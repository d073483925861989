//! What `MIDIPlayer` and `AudioRecorder` share: the library's player or recorder behind a
//! mutex (Python threads may call one object at once), the flag Ctrl-C sets, and whether a wait
//! left the server freewheeling — which `close` must undo, as a freewheeling server refuses new
//! clients.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use pyo3::prelude::*;

use super::lock;
use crate::errors::IntoPy;
use crate::run::interruptible;

/// The library's `wait` of a player or recorder: `(timeout, in_fw, out_fw)` → whether the
/// timeout was reached.
pub type Wait<T> = fn(&mut T, Option<Duration>, bool, bool) -> pycarla::Result<bool>;

/// A player or recorder (`T`) as its Python object holds it.
#[derive(Debug)]
pub struct Client<T> {
    inner: Mutex<T>,
    /// Set by Ctrl-C during a call; `T` was given it when it was made.
    pub interrupt: Arc<AtomicBool>,
    /// A wait left the server freewheeling (`out_fw`).
    freewheeling: AtomicBool,
}

impl<T: Send> Client<T> {
    /// `open` makes the player or recorder, given the interrupt flag.
    pub fn new(open: impl FnOnce(Arc<AtomicBool>) -> T) -> Self {
        let interrupt = Arc::new(AtomicBool::new(false));
        Client {
            inner: Mutex::new(open(interrupt.clone())),
            interrupt,
            freewheeling: AtomicBool::new(false),
        }
    }

    /// The player or recorder, for one call.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        lock(&self.inner)
    }

    /// pycarla's `wait(timeout, in_fw, out_fw)` on the player or recorder (`timeout` in
    /// seconds), without the GIL (Ctrl-C stops it).
    pub fn wait(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        in_fw: bool,
        out_fw: bool,
        wait: Wait<T>,
    ) -> PyResult<bool> {
        let timeout = super::timeout(py, timeout)?;
        interruptible(py, &self.interrupt, || {
            self.wait_locked(&mut self.lock(), timeout, in_fw, out_fw, wait)
        })?
        .py_err(py)
    }

    /// The same on `client`, already locked (a player's `sync` play waits under the lock it
    /// played with), remembering the freewheel it leaves the server in.
    pub fn wait_locked(
        &self,
        client: &mut T,
        timeout: Option<Duration>,
        in_fw: bool,
        out_fw: bool,
        wait: Wait<T>,
    ) -> pycarla::Result<bool> {
        self.freewheeling.store(in_fw, Ordering::Relaxed);
        let waited = wait(client, timeout, in_fw, out_fw)?;
        self.freewheeling.store(out_fw, Ordering::Relaxed);
        Ok(waited)
    }

    /// The player or recorder, locked, its server out of the freewheel a wait left it in
    /// (`set_freewheel`: the library's) — the start of `close`.
    pub fn leave_freewheel(&self, set_freewheel: fn(&T, bool)) -> MutexGuard<'_, T> {
        let inner = self.lock();
        if self.freewheeling.swap(false, Ordering::Relaxed) {
            set_freewheel(&inner, false);
        }
        inner
    }
}
