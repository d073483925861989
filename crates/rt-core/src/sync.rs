//! The shared start frame: how player and recorder begin on the same frame.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

const UNSET: u64 = u64::MAX;

/// One start frame shared by every client of a render.
///
/// Nothing happens until [`arm`](StartSync::arm). The first callback that sees it armed
/// publishes `start = cycle_start + n_frames` — the *next* cycle, which every client has not
/// begun yet — with a compare-exchange; every client then measures frames from `start`.
///
/// JACK frame times are 32-bit and wrap (after 24.8 hours at 48 kHz, or a minute and a half of
/// fast freewheeling); relative frames are computed with wrapping arithmetic, so a render may
/// last up to 2³¹ frames (12.4 hours at 48 kHz) wherever the server's clock stands.
#[derive(Debug)]
pub struct StartSync {
    armed: AtomicBool,
    start: AtomicU64,
}

impl Default for StartSync {
    fn default() -> Self {
        StartSync {
            armed: AtomicBool::new(false),
            start: AtomicU64::new(UNSET),
        }
    }
}

impl StartSync {
    /// A new, unarmed start.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lets the next callback publish the start frame.
    pub fn arm(&self) {
        self.armed.store(true, Ordering::Release);
    }

    /// The published start frame (JACK frame time), if any.
    pub fn start(&self) -> Option<u32> {
        match self.start.load(Ordering::Acquire) {
            UNSET => None,
            start => Some(start as u32),
        }
    }

    /// Called by each process callback with the cycle's first frame and length: the cycle's
    /// first frame relative to the start, or `None` while the render has not started.
    /// Lock-free and allocation-free.
    pub fn relative(&self, cycle_start: u32, n_frames: u32) -> Option<u64> {
        if !self.armed.load(Ordering::Acquire) {
            return None;
        }
        let start = match self.start.load(Ordering::Acquire) {
            UNSET => {
                let proposed = u64::from(cycle_start.wrapping_add(n_frames));
                match self.start.compare_exchange(
                    UNSET,
                    proposed,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => proposed,
                    Err(published) => published,
                }
            }
            start => start,
        } as u32;
        let relative = cycle_start.wrapping_sub(start) as i32;
        (relative >= 0).then_some(relative as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_before_arming_then_next_cycle_is_zero() {
        let sync = StartSync::new();
        assert_eq!(sync.relative(1000, 256), None);
        sync.arm();
        assert_eq!(sync.relative(1256, 256), None); // publishes 1512
        assert_eq!(sync.relative(1256, 256), None); // a second client, same cycle
        assert_eq!(sync.relative(1512, 256), Some(0));
        assert_eq!(sync.relative(1768, 256), Some(256));
        assert_eq!(sync.start(), Some(1512));
    }

    #[test]
    fn wraps_around_the_32_bit_clock() {
        let sync = StartSync::new();
        sync.arm();
        assert_eq!(sync.relative(u32::MAX - 99, 100), None); // start = 0 after wrapping
        assert_eq!(sync.relative(0, 100), Some(0));
        assert_eq!(sync.relative(100, 100), Some(100));
    }
}
