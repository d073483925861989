//! The line protocol between a supervisor and a host program that says itself when it is
//! ready and what failed (pycarla's own Carla host, `pycarla __jack-host`), instead of leaving
//! the supervisor to guess from free-form output.
//!
//! The host writes one line per event on its standard output (anything else it prints —
//! Carla prints a lot — goes to standard error):
//!
//! - [`READY`]: everything is loaded; its ports exist.
//! - [`failed_line`]: loading failed; the line names what (a plugin, a project, the server)
//!   and carries the host's own reason (Carla's last error). The host then exits.
//!
//! A host started before its server exists ([`Host::prestart`](crate::Host::prestart)) loads
//! what it can, then waits for one line on its standard input: [`server_line`], naming the
//! server to join. It runs until its standard input closes or it gets SIGTERM.
//!
//! ```
//! use proc_supervisor::protocol;
//! let line = protocol::failed_line("http://example.org/synth", "cannot find it\nat all");
//! assert_eq!(
//!     protocol::parse_failed(&line),
//!     Some(("http://example.org/synth".to_string(), "cannot find it at all".to_string()))
//! );
//! ```

/// The ready line.
pub const READY: &str = "pycarla-host: ready";

/// What every failure line starts with.
pub const FAILED: &str = "pycarla-host: failed";

/// What the server line starts with.
pub const SERVER: &str = "server ";

/// The failure line for `what` (a plugin as the user named it, a project path, …) failing
/// with `message`, on one line.
pub fn failed_line(what: &str, message: &str) -> String {
    format!("{FAILED}\t{}\t{}", one_line(what), one_line(message))
}

/// What failed and why, from a failure line (`None` for any other line).
pub fn parse_failed(line: &str) -> Option<(String, String)> {
    let rest = line.trim_end().strip_prefix(FAILED)?.strip_prefix('\t')?;
    let (what, message) = rest.split_once('\t').unwrap_or((rest, ""));
    Some((what.to_string(), message.to_string()))
}

/// The line that tells a waiting host which server to join.
pub fn server_line(server: &str) -> String {
    format!("{SERVER}{}", one_line(server))
}

/// The server named by a server line.
pub fn parse_server(line: &str) -> Option<&str> {
    line.trim_end_matches(['\r', '\n'])
        .strip_prefix(SERVER)
        .filter(|name| !name.is_empty())
}

/// Tabs and line breaks become spaces: one field, one line.
fn one_line(text: &str) -> String {
    text.split(['\t', '\n', '\r'])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_lines_round_trip_whatever_the_message_holds() {
        let line = failed_line("lv2:urn:x\tbad", "a\tb\r\nc");
        assert!(!line.contains('\n'));
        assert_eq!(
            parse_failed(&line),
            Some(("lv2:urn:x bad".into(), "a b c".into()))
        );
        assert_eq!(parse_failed("pycarla-host: ready"), None);
        assert_eq!(parse_failed("Carla: failed to load"), None);
    }

    #[test]
    fn server_lines_name_the_server() {
        assert_eq!(
            parse_server(&(server_line("pycarla-3") + "\n")),
            Some("pycarla-3")
        );
        assert_eq!(parse_server("server "), None);
        assert_eq!(parse_server("hello"), None);
    }
}
