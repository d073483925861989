//! Opening one of Carla's libraries and looking up its functions. Both libraries
//! (`libcarla_host-plugin.so`, `libcarla_standalone2.so`) are opened this one way, so a missing
//! file or function is reported the same way, naming the file.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A library file, loaded, with the functions looked up in it (`F`: a struct of function
/// pointers).
#[derive(Debug)]
pub(crate) struct Loaded<F> {
    path: PathBuf,
    pub(crate) functions: F,
    // Last: the functions above point into it.
    _library: libloading::Library,
}

impl<F> Loaded<F> {
    /// Loads the library at `path` and looks up its functions with `lookup`.
    pub(crate) fn open(
        path: &Path,
        lookup: impl FnOnce(&Symbols<'_>) -> Result<F>,
    ) -> Result<Loaded<F>> {
        // SAFETY: loading Carla's library runs its static constructors, which only set up
        // Carla's own state.
        let library = unsafe { libloading::Library::new(path) }.map_err(|source| Error::Load {
            path: path.to_path_buf(),
            source,
        })?;
        let functions = lookup(&Symbols {
            library: &library,
            path,
        })?;
        Ok(Loaded {
            path: path.to_path_buf(),
            functions,
            _library: library,
        })
    }

    /// The file loaded.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// The symbols of a library being loaded.
#[derive(Debug)]
pub(crate) struct Symbols<'a> {
    library: &'a libloading::Library,
    path: &'a Path,
}

impl Symbols<'_> {
    /// The function named `name` (its C name, without a NUL).
    ///
    /// # Safety
    /// `T` is the function pointer type of `name`'s declaration in Carla's headers (see
    /// [`ffi`](crate::ffi)).
    pub(crate) unsafe fn get<T: Copy>(&self, name: &'static str) -> Result<T> {
        // SAFETY: by the caller.
        unsafe { self.library.get::<T>(name.as_bytes()) }
            .map(|symbol| *symbol)
            .map_err(|source| Error::Symbol {
                path: self.path.to_path_buf(),
                symbol: name,
                source,
            })
    }
}
