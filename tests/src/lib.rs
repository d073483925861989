//! What the workspace's tests share, in one place: private JACK servers (and the one lock
//! that serialises them in a test binary), the shared MIDI files, fixtures built on demand
//! (the impulse instrument, the misbehaving CLAP plugins, click SFZs), Carla's presence and
//! skips, reading WAVs back, watching processes, and the `pycarla` command builder.
//!
//! Every server a test starts has a unique name and is stopped by PID when its handle drops;
//! the user's own JACK server is never touched.

pub mod carla;
pub mod cli;
pub mod fixtures;
pub mod jack;
pub mod midi;
pub mod process;
pub mod wav;

pub use carla::*;
pub use cli::*;
pub use fixtures::*;
pub use jack::*;
pub use midi::*;
pub use process::*;
pub use wav::*;
