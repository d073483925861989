//! A plugin's state through Carla's host API: Carla's own state files (`.carxs`: parameters,
//! program, custom data and chunk), the opaque chunk some plugins keep their state in (what a
//! VST2 `.fxp` carries), and the current value of each parameter (what an `.fxp` without a
//! chunk carries).

use std::ffi::CString;
use std::path::Path;

use base64::Engine as _;

use crate::error::{Error, Result};
use crate::host::{Host, string};

impl Host<'_> {
    /// Loads a `.carxs` state file into plugin `id`. A state holds Carla's own settings of
    /// the plugin too (control channel, volume), which are put back to what the file's
    /// messages and the format's reference need (see `Host::play_as_the_file_says`).
    pub(crate) fn load_state(&self, id: u32, plugin: &str, path: &Path) -> Result<()> {
        self.state_file(self.functions().load_plugin_state, id, plugin, path, "load")?;
        if let Some(format) = self.plugin_info(id).format {
            self.play_as_the_file_says(id, format);
        }
        Ok(())
    }

    /// Saves plugin `id`'s state as a `.carxs` file.
    pub(crate) fn save_state(&self, id: u32, plugin: &str, path: &Path) -> Result<()> {
        self.state_file(self.functions().save_plugin_state, id, plugin, path, "save")
    }

    fn state_file(
        &self,
        call: crate::ffi::PluginStateFile,
        id: u32,
        plugin: &str,
        path: &Path,
        action: &'static str,
    ) -> Result<()> {
        let error = |message: String| Error::PluginState {
            plugin: plugin.to_string(),
            action,
            path: path.to_path_buf(),
            message,
        };
        let c_path = CString::new(path.to_string_lossy().into_owned())
            .map_err(|_| error("the path holds a NUL byte".into()))?;
        // SAFETY: a live handle, a plugin id it gave and a NUL-terminated path.
        if unsafe { call(self.handle(), id, c_path.as_ptr()) } {
            Ok(())
        } else {
            let message = self.last_error();
            Err(error(if message.is_empty() {
                "Carla gave no reason".into()
            } else {
                message
            }))
        }
    }

    /// Plugin `id`'s state chunk, or `None` when it keeps none.
    pub(crate) fn chunk(&self, id: u32) -> Option<Vec<u8>> {
        // SAFETY: a live handle and a plugin id it gave; the text is Carla's, copied at once.
        let text = unsafe { string((self.functions().chunk_data)(self.handle(), id)) };
        let chunk = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()?;
        (!chunk.is_empty()).then_some(chunk)
    }

    /// Gives plugin `id` a state chunk.
    pub(crate) fn set_chunk(&self, id: u32, chunk: &[u8]) {
        let text = base64::engine::general_purpose::STANDARD.encode(chunk);
        let text = CString::new(text).expect("base64 holds no NUL");
        // SAFETY: a live handle, a plugin id it gave and a NUL-terminated base64 text.
        unsafe { (self.functions().set_chunk_data)(self.handle(), id, text.as_ptr()) }
    }

    /// Deactivates and activates plugin `id` again: what a plugin's request to restart (a CLAP
    /// plugin changing its latency) needs, which Carla carries out only from an idle callback
    /// its native engine never runs.
    pub(crate) fn restart(&self, id: u32) {
        // SAFETY: a live handle and a plugin id it gave.
        unsafe {
            (self.functions().set_active)(self.handle(), id, false);
            (self.functions().set_active)(self.handle(), id, true);
        }
    }

    /// Plugin `id`'s parameter `index` as it is now.
    pub(crate) fn parameter_value(&self, id: u32, index: u32) -> f32 {
        // SAFETY: a live handle, a plugin id it gave; Carla checks the index.
        unsafe { (self.functions().parameter_value)(self.handle(), id, index) }
    }
}
