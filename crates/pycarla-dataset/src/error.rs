//! The dataset layer's errors: a plan that cannot be made, a shard or variant that does not
//! make sense, a manifest that cannot be written, and the renderer's own errors.

use std::path::PathBuf;

/// What went wrong planning or running a dataset.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Several inputs (or a directory) write into one directory, and the output is a file.
    #[error(
        "the output {path} is a file: with several inputs or a directory the output must be a directory"
    )]
    OutputIsAFile { path: PathBuf },
    /// Two inputs map to the same output.
    #[error("two inputs would both write {output}: their outputs would overwrite each other")]
    OutputClash { output: PathBuf },
    /// An input directory cannot be listed.
    #[error("cannot read {path}: {source}")]
    ReadDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An input path without a file name (`..`, `/`).
    #[error("{path} has no file name")]
    NoFileName { path: PathBuf },
    /// A shard that is not `K/N` with K below N.
    #[error("shard {text}: {why}")]
    Shard { text: String, why: String },
    /// A variant that cannot be used.
    #[error("variant {text}: {why}")]
    Variant { text: String, why: String },
    /// The manifest cannot be opened.
    #[error("cannot open the manifest {path}: {source}")]
    Manifest {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The renderer's error (an instrument, a render, a map).
    #[error(transparent)]
    Render(#[from] pycarla_render::Error),
}

/// This crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
