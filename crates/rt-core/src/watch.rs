//! Server notifications that end a render: shutdown, the synth leaving, xruns, freewheel.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use jack::{Client, ClientStatus, Control, NotificationHandler};

use crate::error::Error;

/// Facts the notification threads learn, for the waiting thread.
#[derive(Debug, Default)]
pub struct WatchState {
    /// The server shut down (or kicked the client out).
    pub shutdown: AtomicBool,
    /// Why, as JACK said.
    pub shutdown_reason: Mutex<String>,
    /// A watched client unregistered.
    pub client_gone: AtomicBool,
    /// Which.
    pub gone_name: Mutex<String>,
    /// xruns seen.
    pub xruns: AtomicU64,
    /// Whether the server is freewheeling.
    pub freewheel: AtomicBool,
}

impl WatchState {
    /// The server shut down, or a watched client left: the fault, if any.
    pub fn fault(&self) -> Option<Error> {
        if self.shutdown.load(Ordering::Acquire) {
            let reason = self
                .shutdown_reason
                .lock()
                .map(|r| r.clone())
                .unwrap_or_default();
            return Some(Error::ServerShutdown { reason });
        }
        if self.client_gone.load(Ordering::Acquire) {
            let client = self.gone_name.lock().map(|n| n.clone()).unwrap_or_default();
            return Some(Error::ClientGone { client });
        }
        None
    }
}

/// A notification handler that records what matters for a render into a shared [`WatchState`].
///
/// Notifications run on JACK's notification thread, not the process thread; even so, they only
/// compare and store, except for the rare shutdown and client-gone paths.
#[derive(Debug)]
pub struct Watch {
    state: Arc<WatchState>,
    clients: Vec<String>,
    count_xruns: bool,
}

impl Watch {
    /// Watches `clients` (names) for unregistration, and counts xruns.
    pub fn new(state: Arc<WatchState>, clients: Vec<String>) -> Self {
        Watch {
            state,
            clients,
            count_xruns: true,
        }
    }

    /// Leaves xruns to another client's watch on the same state (every client hears each xrun;
    /// one must count it).
    pub fn without_xruns(mut self) -> Self {
        self.count_xruns = false;
        self
    }
}

impl NotificationHandler for Watch {
    unsafe fn shutdown(&mut self, _status: ClientStatus, reason: &str) {
        if let Ok(mut slot) = self.state.shutdown_reason.try_lock() {
            *slot = reason.to_string();
        }
        self.state.shutdown.store(true, Ordering::Release);
    }

    fn freewheel(&mut self, _: &Client, enabled: bool) {
        self.state.freewheel.store(enabled, Ordering::Release);
    }

    fn client_registration(&mut self, _: &Client, name: &str, registered: bool) {
        if !registered && self.clients.iter().any(|watched| watched == name) {
            if let Ok(mut slot) = self.state.gone_name.try_lock() {
                *slot = name.to_string();
            }
            self.state.client_gone.store(true, Ordering::Release);
        }
    }

    fn xrun(&mut self, _: &Client) -> Control {
        if self.count_xruns {
            self.state.xruns.fetch_add(1, Ordering::Relaxed);
        }
        Control::Continue
    }
}
