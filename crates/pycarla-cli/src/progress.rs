//! Progress bars on a terminal; nothing when stderr is piped or with `-q`.

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bars of one `pycarla` run: files done, and frames of the current file.
#[derive(Debug)]
pub struct Progress {
    multi: MultiProgress,
    files: ProgressBar,
    frames: Option<ProgressBar>,
    visible: bool,
}

impl Progress {
    /// Bars for `files` files (shown only on a terminal, and not with `quiet`).
    pub fn new(files: usize, quiet: bool) -> Progress {
        let visible = !quiet && std::io::stderr().is_terminal();
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        let files_bar = if files > 1 {
            let bar = multi.add(ProgressBar::new(files as u64));
            bar.set_style(
                ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} files {msg}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_prefix("overall");
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress {
            multi,
            files: files_bar,
            frames: None,
            visible,
        }
    }

    /// Starts the bar of one file.
    pub fn start_file(&mut self, name: &str) {
        let bar = self.multi.add(ProgressBar::new(1));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>8} [{bar:30}] {percent:>3}% {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix("render");
        bar.set_message(name.to_string());
        self.frames = Some(bar);
    }

    /// Frames recorded of the current file.
    pub fn frames(&self, done: u64, total: u64) {
        if let Some(bar) = &self.frames {
            bar.set_length(total.max(1));
            bar.set_position(done.min(total));
        }
    }

    /// The current file is done.
    pub fn finish_file(&mut self) {
        if let Some(bar) = self.frames.take() {
            bar.finish_and_clear();
        }
        self.files.inc(1);
    }

    /// Prints a line above the bars (or plainly when they are hidden).
    pub fn println(&self, line: &str) {
        if self.visible {
            let _ = self.multi.println(line);
        } else {
            eprintln!("{line}");
        }
    }

    /// Removes the bars.
    pub fn finish(&self) {
        self.files.finish_and_clear();
    }
}
