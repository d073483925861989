//! Running Rust work without the GIL and stopping it on Ctrl-C.
//!
//! Python runs signal handlers only on its main thread, and only between bytecodes: a render
//! that holds the calling thread in Rust would make Ctrl-C wait for its end. So the work runs
//! on another thread while the calling thread, every [`POLL`], takes the GIL back just long
//! enough for [`Python::check_signals`]; a `KeyboardInterrupt` (or any exception a handler
//! raises) sets the work's interrupt flag, waits for the work to stop cleanly (children
//! stopped, the partial file finalized) and is raised.
//!
//! Children of the library (jackd, synth hosts, offline workers) get a signal when the *thread*
//! that started them ends, so work whose processes outlive one call runs on an [`Actor`]: one
//! thread per Python object, alive as long as the object.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use pyo3::prelude::*;

/// How often the waiting thread looks at Python's signals.
const POLL: Duration = Duration::from_millis(50);

/// Runs `work` on a scoped thread without the GIL; Ctrl-C sets `interrupt` and is raised once
/// `work` has returned.
pub fn interruptible<T, F>(py: Python<'_>, interrupt: &Arc<AtomicBool>, work: F) -> PyResult<T>
where
    T: Send,
    F: FnOnce() -> T + Send,
{
    interrupt.store(false, Ordering::Relaxed);
    let finished = &Finished::default();
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("pycarla-py".into())
            .spawn_scoped(scope, move || {
                let result = work();
                finished.set();
                result
            })
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
        wait(py, interrupt, finished)?;
        Ok(py
            .detach(|| handle.join())
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    })
}

/// Set once by the work when it has returned.
#[derive(Debug, Default)]
struct Finished {
    done: Mutex<bool>,
    changed: Condvar,
}

impl Finished {
    fn set(&self) {
        *self.done.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.changed.notify_all();
    }

    /// Whether it was set within `timeout` (`None`: waits for it).
    fn wait(&self, timeout: Option<Duration>) -> bool {
        let done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        match timeout {
            Some(timeout) => {
                *self
                    .changed
                    .wait_timeout_while(done, timeout, |done| !*done)
                    .unwrap_or_else(|p| p.into_inner())
                    .0
            }
            None => *self
                .changed
                .wait_while(done, |done| !*done)
                .unwrap_or_else(|p| p.into_inner()),
        }
    }
}

/// Waits until `finished` is set, checking Python's signals meanwhile. On a signal's
/// exception: sets `interrupt`, waits for the work to end, returns the exception.
fn wait(py: Python<'_>, interrupt: &AtomicBool, finished: &Finished) -> PyResult<()> {
    loop {
        if py.detach(|| finished.wait(Some(POLL))) {
            return Ok(());
        }
        if let Err(error) = py.check_signals() {
            interrupt.store(true, Ordering::Relaxed);
            py.detach(|| finished.wait(None));
            return Err(error);
        }
    }
}

type Call<T> = Box<dyn FnOnce(&mut T) + Send>;

/// A thread that owns a `T` and runs calls on it, one at a time, until dropped: the processes
/// `T` starts live as long as the Python object that holds the actor.
#[derive(Debug)]
pub struct Actor<T: 'static> {
    calls: Option<mpsc::Sender<Call<T>>>,
    thread: Option<JoinHandle<()>>,
    /// Set by Ctrl-C during a call; `T` is given it when it is made.
    pub interrupt: Arc<AtomicBool>,
}

impl<T: 'static> Actor<T> {
    /// Starts the thread and makes its `T` there (`T` need not be `Send`).
    pub fn spawn(name: &str, make: impl FnOnce(Arc<AtomicBool>) -> T + Send + 'static) -> Self {
        let interrupt = Arc::new(AtomicBool::new(false));
        let (calls, inbox) = mpsc::channel::<Call<T>>();
        let flag = interrupt.clone();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                let mut state = make(flag);
                for call in inbox {
                    call(&mut state);
                }
            })
            .expect("a thread for the actor");
        Actor {
            calls: Some(calls),
            thread: Some(thread),
            interrupt,
        }
    }

    /// Runs `call` on the actor's thread without the GIL; Ctrl-C sets the interrupt flag and is
    /// raised once `call` has returned.
    pub fn call<R: Send + 'static>(
        &self,
        py: Python<'_>,
        call: impl FnOnce(&mut T) -> R + Send + 'static,
    ) -> PyResult<R> {
        self.interrupt.store(false, Ordering::Relaxed);
        let (reply, result) = mpsc::channel::<R>();
        let finished = Arc::new(Finished::default());
        let done = finished.clone();
        let sent = self.calls.as_ref().is_some_and(|calls| {
            calls
                .send(Box::new(move |state: &mut T| {
                    // Set even if `call` panics (the reply then never comes).
                    struct SetOnDrop(Arc<Finished>);
                    impl Drop for SetOnDrop {
                        fn drop(&mut self) {
                            self.0.set();
                        }
                    }
                    let _guard = SetOnDrop(done);
                    let _ = reply.send(call(state));
                }))
                .is_ok()
        });
        if !sent {
            return Err(pyo3::exceptions::PyRuntimeError::new_err(
                "the object's thread has ended",
            ));
        }
        wait(py, &self.interrupt, &finished)?;
        result
            .recv()
            .map_err(|_| pyo3::exceptions::PyRuntimeError::new_err("the object's thread panicked"))
    }
}

impl<T: 'static> Drop for Actor<T> {
    fn drop(&mut self) {
        // Closing the channel ends the thread, which drops (stops) what it owns.
        self.calls = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
