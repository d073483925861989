//! Datasets of rendered MIDI, one layer for every front end (the `pycarla` command, Python,
//! Rust callers): the plan (inputs, the mirrored output tree, variants, a shard from arguments
//! or Slurm/Kubernetes variables, sorted), skip-existing, the typed manifest, the pool of
//! offline workers and stems — so that the same request writes the same files and the same
//! manifest lines whoever makes it.
//!
//! ```no_run
//! use pycarla_dataset::{Dataset, Manifest, Outputs, Quiet, plan};
//! use pycarla_render::{Instrument, RenderOptions};
//! let jobs = plan(
//!     &["midi/".into()],
//!     Some("audio/".as_ref()),
//!     Outputs { extension: "wav", stems: false, onsets: None },
//! )?;
//! let dataset = Dataset {
//!     jobs,
//!     instrument: Instrument::default_soundfont()?,
//!     options: RenderOptions::default(),
//!     variants: Vec::new(),
//!     stems: None,
//!     jobs_at_once: 2,
//!     skip_existing: true,
//! };
//! let mut manifest = Manifest::open(Some("audio/manifest.jsonl".as_ref()))?;
//! let summary = dataset.render(&mut manifest, &mut Quiet);
//! println!("{} rendered, {} failed", summary.rendered, summary.failed);
//! # Ok::<(), pycarla_dataset::Error>(())
//! ```

mod batch;
mod error;
mod jack_pool;
mod manifest;
mod plan;
mod shard;
mod variants;

pub use batch::{Dataset, Detail, Observer, Quiet, Run, Summary, one_by_one, one_line, render_job};
pub use error::{Error, Result};
pub use jack_pool::{
    JACK_WORKER_EXE, JACK_WORKER_EXE_VAR, jack_worker_main, set_jack_worker_command,
};
pub use manifest::{Context, FileOutcome, Manifest, Rendered};
pub use plan::{Job, Outputs, for_variant, plan, skip_existing};
pub use shard::Shard;
pub use variants::{chain_variant, check_unique};
