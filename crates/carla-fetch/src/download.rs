//! Streaming an HTTP(S) download into a file while hashing it.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::Error;
use crate::hash::HashingWriter;

/// Downloads `url` into `target` (created, must not exist) and returns its SHA-256 (lowercase
/// hex), hashed on the way.
///
/// `timeout` bounds each wait on the network (connecting, the response headers, every read of
/// the body) rather than the whole transfer, so a slow but live link still finishes while a
/// stalled server is given up on quickly. On error `target` may hold partial data: the caller
/// keeps it in a temporary directory that is removed on failure.
pub(crate) fn download(url: &str, target: &Path, timeout: Duration) -> Result<String, Error> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_resolve(Some(timeout))
        .timeout_connect(Some(timeout))
        .timeout_send_request(Some(timeout))
        .timeout_recv_response(Some(timeout))
        .timeout_per_read(Some(timeout))
        // An https download must not be redirected to plain http.
        .https_only(url.starts_with("https://"))
        // The hash covers the archive bytes; no transparent decoding in between.
        .accept_encoding(ureq::config::AutoHeaderValue::None)
        .user_agent(concat!("carla-fetch/", env!("CARGO_PKG_VERSION")))
        // A mirror on this machine is never reached through a proxy from the environment.
        .proxy(if is_loopback(url) {
            None
        } else {
            ureq::Proxy::try_from_env()
        })
        .build()
        .into();

    tracing::info!(%url, "downloading Carla");
    let response = agent
        .get(url)
        .call()
        .map_err(|e| map_ureq_error(url, timeout, e))?;
    let expected = response.body().content_length();
    let mut reader = response.into_body().into_reader();

    let file = File::create_new(target).map_err(|e| Error::io("create", target, e))?;
    let mut writer = HashingWriter::new(file);
    let bar = progress_bar(expected);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                bar.abandon();
                return Err(map_read_error(url, timeout, writer.written(), expected, e));
            }
        };
        writer
            .write_all(&buf[..n])
            .map_err(|e| Error::io("write", target, e))?;
        bar.inc(n as u64);
    }
    let received = writer.written();
    // ureq already fails on a short body, but a silent short read must never pass as complete.
    if let Some(expected) = expected
        && received != expected
    {
        bar.abandon();
        return Err(Error::Interrupted {
            url: url.to_owned(),
            received,
            expected: Some(expected),
            source: std::io::ErrorKind::UnexpectedEof.into(),
        });
    }
    let (file, sha256) = writer.finish();
    file.sync_all().map_err(|e| Error::io("sync", target, e))?;
    bar.finish_and_clear();
    tracing::debug!(%url, bytes = received, %sha256, "download complete");
    Ok(sha256)
}

/// Whether `url` names this machine (a local mirror, or a test server).
fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if host.starts_with('[') {
        host.split_once(']').map_or(host, |(h, _)| &h[1..])
    } else {
        host.split(':').next().unwrap_or(host)
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A byte progress bar on stderr, hidden when stderr is not a terminal (logs, CI, tests).
fn progress_bar(len: Option<u64>) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(len, target);
    let template = if len.is_some() {
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
    } else {
        "{spinner} {bytes} {bytes_per_sec}"
    };
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

fn is_timeout(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::Timeout(_) => true,
        ureq::Error::Io(io) => io_is_timeout(io),
        _ => false,
    }
}

fn io_is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    ) || e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
        .is_some_and(is_timeout)
}

fn map_ureq_error(url: &str, timeout: Duration, e: ureq::Error) -> Error {
    match e {
        ureq::Error::StatusCode(status) => Error::HttpStatus {
            url: url.to_owned(),
            status,
        },
        e if is_timeout(&e) => Error::Timeout {
            url: url.to_owned(),
            timeout,
        },
        e => Error::Http {
            url: url.to_owned(),
            source: Box::new(e),
        },
    }
}

fn map_read_error(
    url: &str,
    timeout: Duration,
    received: u64,
    expected: Option<u64>,
    e: std::io::Error,
) -> Error {
    if io_is_timeout(&e) {
        Error::Timeout {
            url: url.to_owned(),
            timeout,
        }
    } else {
        Error::Interrupted {
            url: url.to_owned(),
            received,
            expected,
            source: e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn loopback_hosts() {
        for url in [
            "http://127.0.0.1:8080/x",
            "http://localhost/x",
            "https://[::1]:9/v",
            "http://u@127.0.0.2",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "https://github.com/x",
            "http://127.0.0.1.example.com/",
            "http://[2001:db8::1]/",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }
}
