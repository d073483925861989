use std::path::PathBuf;

/// What can go wrong while playing and recording on a JACK server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Opening a client or finding ports failed.
    #[error(transparent)]
    Client(#[from] jack_client::Error),
    /// Writing the recording (a WAV or FLAC file) failed.
    #[error(transparent)]
    Audio(#[from] audio_io::Error),
    /// A session was asked to connect to nothing.
    #[error("a session needs a MIDI port or audio ports")]
    NothingToConnect,
    /// A JACK call failed.
    #[error("JACK error while {action}: {source}")]
    Jack {
        /// What was being done.
        action: String,
        /// JACK's error.
        source: jack::Error,
    },
    /// Events pushed out of time order.
    #[error(
        "schedule event at frame {frame} comes after an event at frame {previous}: push in time order"
    )]
    Unsorted {
        /// The event's frame.
        frame: u64,
        /// The frame of the event before it.
        previous: u64,
    },
    /// A message that is empty or longer than a JACK MIDI event can be.
    #[error("MIDI message of {len} bytes at frame {frame} cannot be sent")]
    BadMessage {
        /// Its frame.
        frame: u64,
        /// Its length.
        len: usize,
    },
    /// More events in one cycle than the JACK MIDI buffer holds.
    #[error(
        "{lost} MIDI events did not fit the JACK MIDI buffer of their cycle; raise the period or thin the file"
    )]
    MidiOverflow {
        /// Events not written.
        lost: u64,
    },
    /// The recorder's ring filled up and audio was lost.
    #[error(
        "the recorder lost {frames} frames: its ring buffer overflowed (the disk or the drain thread is too slow)"
    )]
    RingOverflow {
        /// Frames lost.
        frames: u64,
    },
    /// The server shut down.
    #[error("the JACK server shut down: {reason}")]
    ServerShutdown {
        /// JACK's reason.
        reason: String,
    },
    /// A client we play to or record from went away.
    #[error("JACK client `{client}` (the synth) disappeared during the render")]
    ClientGone {
        /// Its name.
        client: String,
    },
    /// The synth's process ended during the render.
    #[error("the synth died during the render: {reason}")]
    SynthDied {
        /// How (from its supervisor).
        reason: String,
    },
    /// The server reported xruns in realtime mode: audio may have been lost.
    #[error(
        "{count} xruns during a realtime render: audio may be lost (use freewheel, or a larger period)"
    )]
    Xrun {
        /// How many.
        count: u64,
    },
    /// The wait ran out.
    #[error(
        "timed out after {seconds:.1} s waiting for the render ({done_frames} of {total_frames} frames recorded)"
    )]
    Timeout {
        /// How long we waited.
        seconds: f64,
        /// Frames recorded so far.
        done_frames: u64,
        /// Frames asked for.
        total_frames: u64,
    },
    /// No audio arrived for a while though the render was not done: the synth stopped
    /// answering (stopped, deadlocked), holding the server still.
    #[error(
        "the render stalled: no audio for {seconds:.0} s after {done_frames} frames (the synth stopped answering)"
    )]
    Stalled {
        /// How long nothing arrived.
        seconds: f64,
        /// Frames recorded before.
        done_frames: u64,
    },
    /// The server skipped cycles (realtime xruns): frames are missing from the recording.
    #[error(
        "{frames} frames were never recorded: the JACK server skipped cycles (xruns); use freewheel or a larger period"
    )]
    SkippedCycles {
        /// Frames missing.
        frames: u64,
    },
    /// A take longer than the frame clock allows.
    #[error("a recording of {frames} frames is too long (at most {max}: 12.4 hours at 48 kHz)")]
    TooLong {
        /// Frames asked for.
        frames: u64,
        /// The limit.
        max: u64,
    },
    /// A take too long for a WAV file (whose sizes are 32-bit).
    #[error("{} cannot hold {frames} frames: a WAV file holds at most {max} frames of this format (4 GiB)", path.display())]
    WavTooLarge {
        /// The file.
        path: PathBuf,
        /// Frames asked for (u64::MAX: unbounded).
        frames: u64,
        /// The limit.
        max: u64,
    },
    /// A thread could not be started.
    #[error("cannot start the recorder's drain thread: {source}")]
    Thread {
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A new take was started before the callback took the previous one.
    #[error("the {what} is still busy with its previous take")]
    Busy {
        /// Which client.
        what: &'static str,
    },
    /// The stop was asked for from outside (e.g. SIGINT).
    #[error("render interrupted after {done_frames} frames")]
    Interrupted {
        /// Frames recorded.
        done_frames: u64,
    },
}

/// Maps a jack crate error to [`Error::Jack`] naming what was being done.
pub(crate) fn jack_error(action: &str) -> impl FnOnce(jack::Error) -> Error + '_ {
    move |source| Error::Jack {
        action: action.to_string(),
        source,
    }
}
