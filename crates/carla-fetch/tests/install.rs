//! End-to-end install tests against a loopback HTTP server and generated archives.

use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use carla_fetch::{Arch, Error, InstallOptions, Verification};
use tar::{EntryType, Header};

// ---------------------------------------------------------------------------------------------
// Loopback HTTP server.

#[derive(Clone)]
enum Reply {
    Ok(Vec<u8>),
    Status(u16),
    /// Announces `declared` bytes, sends `body`, closes.
    Truncated {
        body: Vec<u8>,
        declared: usize,
    },
    /// Never answers.
    StallBeforeHeaders,
    /// Sends headers and part of the body, then goes silent.
    StallInBody {
        body: Vec<u8>,
    },
}

struct Server {
    base_url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(reply: Reply) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}/mirror", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let reply = reply.clone();
                let log = Arc::clone(&log);
                thread::spawn(move || handle(stream, reply, log));
            }
        });
        Server { base_url, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn handle(mut stream: TcpStream, reply: Reply, log: Arc<Mutex<Vec<String>>>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => request.push(byte[0]),
            _ => return,
        }
    }
    let line = String::from_utf8_lossy(&request)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned();
    let path = line.split(' ').nth(1).unwrap_or("").to_owned();
    log.lock().unwrap().push(path);
    let header = |status: &str, len: usize| {
        format!(
            "HTTP/1.1 {status}\r\nContent-Length: {len}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
        )
    };
    let _ = match reply {
        Reply::Ok(body) => stream
            .write_all(header("200 OK", body.len()).as_bytes())
            .and_then(|()| stream.write_all(&body)),
        Reply::Status(code) => {
            let body = b"nope";
            stream
                .write_all(header(&format!("{code} Error"), body.len()).as_bytes())
                .and_then(|()| stream.write_all(body))
        }
        Reply::Truncated { body, declared } => stream
            .write_all(header("200 OK", declared).as_bytes())
            .and_then(|()| stream.write_all(&body)),
        Reply::StallBeforeHeaders => {
            thread::sleep(Duration::from_secs(20));
            Ok(())
        }
        Reply::StallInBody { body } => {
            let _ = stream.write_all(header("200 OK", body.len() * 2).as_bytes());
            let _ = stream.write_all(&body);
            let _ = stream.flush();
            thread::sleep(Duration::from_secs(20));
            Ok(())
        }
    };
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Both);
}

// ---------------------------------------------------------------------------------------------
// Archives.

const CARLA_SCRIPT: &[u8] = b"#!/bin/sh\necho carla\n";

fn xz(tar_bytes: Vec<u8>) -> Vec<u8> {
    let mut enc = xz2::write::XzEncoder::new(Vec::new(), 6);
    enc.write_all(&tar_bytes).unwrap();
    enc.finish().unwrap()
}

/// A header whose name and link name are written raw, bypassing the `tar` crate's checks.
fn raw_header(name: &[u8], kind: EntryType, link: &[u8], size: u64, mode: u32) -> Header {
    let mut h = Header::new_gnu();
    {
        let old = h.as_old_mut();
        assert!(name.len() < old.name.len() && link.len() < old.linkname.len());
        old.name[..name.len()].copy_from_slice(name);
        old.linkname[..link.len()].copy_from_slice(link);
    }
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    h.set_cksum();
    h
}

#[derive(Clone)]
enum E {
    Dir(String),
    File(String, Vec<u8>, u32),
    Symlink(String, String),
    Hardlink(String, String),
    Device(String),
    Fifo(String),
}

fn dir(p: &str) -> E {
    E::Dir(p.into())
}
fn file(p: &str, data: &[u8], mode: u32) -> E {
    E::File(p.into(), data.into(), mode)
}
fn symlink(p: &str, target: &str) -> E {
    E::Symlink(p.into(), target.into())
}
fn hardlink(p: &str, target: &str) -> E {
    E::Hardlink(p.into(), target.into())
}

fn archive(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        match e {
            E::Dir(p) => b.append(
                &raw_header(p.as_bytes(), EntryType::Directory, b"", 0, 0o755),
                &[][..],
            ),
            E::File(p, data, mode) => b.append(
                &raw_header(
                    p.as_bytes(),
                    EntryType::Regular,
                    b"",
                    data.len() as u64,
                    *mode,
                ),
                &data[..],
            ),
            E::Symlink(p, t) => b.append(
                &raw_header(p.as_bytes(), EntryType::Symlink, t.as_bytes(), 0, 0o777),
                &[][..],
            ),
            E::Hardlink(p, t) => b.append(
                &raw_header(p.as_bytes(), EntryType::Link, t.as_bytes(), 0, 0o644),
                &[][..],
            ),
            E::Device(p) => {
                let mut h = raw_header(p.as_bytes(), EntryType::Char, b"", 0, 0o666);
                h.set_device_major(1).unwrap();
                h.set_device_minor(3).unwrap();
                h.set_cksum();
                b.append(&h, &[][..])
            }
            E::Fifo(p) => b.append(
                &raw_header(p.as_bytes(), EntryType::Fifo, b"", 0, 0o644),
                &[][..],
            ),
        }
        .unwrap();
    }
    xz(b.into_inner().unwrap())
}

/// A release-like archive: one top-level directory holding `Carla`, data, and internal links.
fn good_archive() -> Vec<u8> {
    archive(&[
        dir("Carla_test/"),
        file("Carla_test/Carla", CARLA_SCRIPT, 0o755),
        dir("Carla_test/resources/"),
        file("Carla_test/resources/readme.txt", b"hello", 0o4644),
        symlink("Carla_test/resources/carla", "../Carla"),
        symlink("Carla_test/self", "."),
        hardlink("Carla_test/Carla-copy", "Carla_test/Carla"),
        dir("Carla_test/empty/"),
    ])
}

fn sha256(bytes: &[u8]) -> String {
    carla_fetch::sha256_of(bytes).unwrap()
}

fn expected_path(version: &str) -> String {
    let file = carla_fetch::release::RELEASES
        .iter()
        .find(|r| r.version == version)
        .and_then(|r| r.assets.iter().find(|a| a.arch == Arch::host().unwrap()))
        .map(|a| a.file_name.to_owned())
        .unwrap_or_else(|| format!("Carla-{version}-linux-{}.tar.xz", Arch::host().unwrap()));
    format!("/mirror/v{version}/{file}")
}

// ---------------------------------------------------------------------------------------------
// Filesystem fixture.

/// `root/outside` holds a canary file hostile archives aim at; `root/inst/<version>` is the
/// destination, so staging directories appear in `root/inst`.
struct Fixture {
    _tmp: tempfile::TempDir,
    outside: PathBuf,
    inst: PathBuf,
    dest: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("secret"), "canary").unwrap();
        let inst = tmp.path().join("inst");
        let dest = inst.join("2.5.10");
        Fixture {
            _tmp: tmp,
            outside,
            inst,
            dest,
        }
    }

    fn options(&self) -> InstallOptions {
        InstallOptions::new()
            .version("2.5.10")
            .dest(&self.dest)
            .timeout(Duration::from_secs(1))
    }

    fn write_archive(&self, bytes: &[u8]) -> PathBuf {
        let path = self._tmp.path().join("local.tar.xz");
        fs::write(&path, bytes).unwrap();
        path
    }

    /// Nothing escaped, nothing was installed, nothing was left behind.
    fn assert_untouched(&self) {
        let mut names: Vec<_> = fs::read_dir(&self.outside)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["secret"], "something was written outside");
        assert_eq!(
            fs::read_to_string(self.outside.join("secret")).unwrap(),
            "canary"
        );
        let meta = fs::symlink_metadata(self.outside.join("secret")).unwrap();
        assert_eq!(
            std::os::unix::fs::MetadataExt::nlink(&meta),
            1,
            "hard-linked from inside"
        );
        assert!(!self.dest.exists(), "destination was created");
        assert_no_staging(&self.inst);
        let above: Vec<_> = fs::read_dir(self._tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| !["outside", "inst", "local.tar.xz"].contains(&n.as_str()))
            .collect();
        assert!(
            above.is_empty(),
            "stray files next to the fixture: {above:?}"
        );
    }
}

fn assert_no_staging(dir: &Path) {
    let Ok(read) = fs::read_dir(dir) else { return };
    let left: Vec<_> = read
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".carla-install-"))
        .collect();
    assert!(left.is_empty(), "staging directories left behind: {left:?}");
}

// ---------------------------------------------------------------------------------------------
// Successful installs.

#[test]
fn good_archive_installs_and_executable_is_found() {
    let fx = Fixture::new();
    let bytes = good_archive();
    let server = Server::start(Reply::Ok(bytes.clone()));
    let options = fx
        .options()
        .base_url(&server.base_url)
        .sha256(sha256(&bytes).to_uppercase());
    let inst = carla_fetch::install(&options).unwrap();

    assert_eq!(server.requests(), [expected_path("2.5.10")]);
    assert_eq!(inst.version, "2.5.10");
    assert_eq!(inst.dir, fx.dest);
    assert_eq!(inst.executable, fx.dest.join("Carla_test/Carla"));
    assert_eq!(inst.sha256, sha256(&bytes));
    assert_eq!(inst.verification, Verification::UserSupplied);
    assert_eq!(
        inst.source,
        format!(
            "{}{}",
            server.base_url.trim_end_matches("/mirror"),
            expected_path("2.5.10")
        )
    );
    assert_eq!(fs::read(&inst.executable).unwrap(), CARLA_SCRIPT);
    assert_eq!(
        fs::metadata(&inst.executable).unwrap().permissions().mode() & 0o777,
        0o755
    );
    // Set-user-ID bits are dropped.
    let readme = fx.dest.join("Carla_test/resources/readme.txt");
    assert_eq!(
        fs::metadata(&readme).unwrap().permissions().mode() & 0o7777,
        0o644
    );
    // Internal links survive.
    assert_eq!(
        fs::read(fx.dest.join("Carla_test/resources/carla")).unwrap(),
        CARLA_SCRIPT
    );
    assert_eq!(
        fs::read(fx.dest.join("Carla_test/Carla-copy")).unwrap(),
        CARLA_SCRIPT
    );
    assert!(
        fx.dest
            .join("Carla_test/self/resources/readme.txt")
            .is_file()
    );
    assert!(fx.dest.join("Carla_test/empty").is_dir());
    assert_no_staging(&fx.inst);

    assert_eq!(
        carla_fetch::find_executable(&fx.dest),
        Some(inst.executable.clone())
    );
    assert_eq!(
        carla_fetch::find_installed_in(&fx.inst, Some("2.5.10")),
        Some(inst.executable.clone())
    );
    assert_eq!(
        carla_fetch::find_installed_in(&fx.inst, None),
        Some(inst.executable)
    );
}

#[test]
fn trust_on_first_use_reports_the_hash() {
    let fx = Fixture::new();
    let bytes = good_archive();
    let server = Server::start(Reply::Ok(bytes.clone()));
    let inst = carla_fetch::install(
        &fx.options()
            .base_url(&server.base_url)
            .trust_on_first_use(true),
    )
    .unwrap();
    assert_eq!(inst.verification, Verification::TrustOnFirstUse);
    assert_eq!(inst.sha256, sha256(&bytes));
    assert!(inst.executable.is_file());
}

#[test]
fn offline_install_from_local_archive() {
    let fx = Fixture::new();
    let bytes = good_archive();
    let local = fx.write_archive(&bytes);
    let options = fx
        .options()
        .base_url("http://127.0.0.1:9/never-contacted")
        .from_file(&local)
        .sha256(sha256(&bytes));
    let inst = carla_fetch::install(&options).unwrap();
    assert_eq!(inst.executable, fx.dest.join("Carla_test/Carla"));
    assert_eq!(inst.source, local.display().to_string());
    assert_eq!(
        fs::read(&local).unwrap(),
        bytes,
        "the local archive is left alone"
    );
}

#[test]
fn empty_existing_destination_is_replaced() {
    let fx = Fixture::new();
    fs::create_dir_all(&fx.dest).unwrap();
    let bytes = good_archive();
    let local = fx.write_archive(&bytes);
    let inst =
        carla_fetch::install(&fx.options().from_file(&local).trust_on_first_use(true)).unwrap();
    assert!(inst.executable.is_file());
}

// ---------------------------------------------------------------------------------------------
// Refusals before any download.

#[test]
fn unverifiable_install_is_refused_before_downloading() {
    let fx = Fixture::new();
    let server = Server::start(Reply::Ok(good_archive()));
    let err = carla_fetch::install(&fx.options().base_url(&server.base_url)).unwrap_err();
    assert!(matches!(err, Error::Unverifiable { .. }), "{err}");
    assert!(err.to_string().contains("accept it on first use"));
    assert!(server.requests().is_empty(), "nothing may be downloaded");
    let local = fx.write_archive(&good_archive());
    let err = carla_fetch::install(&fx.options().from_file(local)).unwrap_err();
    assert!(matches!(err, Error::Unverifiable { .. }), "{err}");
    fx.assert_untouched();
}

#[test]
fn malformed_sha256_is_refused() {
    let fx = Fixture::new();
    let err = carla_fetch::install(&fx.options().base_url("http://127.0.0.1:9").sha256("abc"))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidSha256 { .. }), "{err}");
    fx.assert_untouched();
}

#[test]
fn non_empty_destination_is_left_alone() {
    let fx = Fixture::new();
    fs::create_dir_all(&fx.dest).unwrap();
    fs::write(fx.dest.join("mine"), "keep").unwrap();
    let server = Server::start(Reply::Ok(good_archive()));
    let err = carla_fetch::install(
        &fx.options()
            .base_url(&server.base_url)
            .trust_on_first_use(true),
    )
    .unwrap_err();
    assert!(matches!(err, Error::DestinationExists { .. }), "{err}");
    assert!(server.requests().is_empty());
    assert_eq!(fs::read_to_string(fx.dest.join("mine")).unwrap(), "keep");
    assert_eq!(fs::read_dir(&fx.dest).unwrap().count(), 1);
}

// ---------------------------------------------------------------------------------------------
// Download failures.

fn install_from(fx: &Fixture, reply: Reply, sha: Option<String>) -> Error {
    let server = Server::start(reply);
    let mut options = fx.options().base_url(&server.base_url);
    options = match sha {
        Some(sha) => options.sha256(sha),
        None => options.trust_on_first_use(true),
    };
    let err = carla_fetch::install(&options).unwrap_err();
    fx.assert_untouched();
    err
}

#[test]
fn wrong_hash_is_rejected_before_extraction() {
    let fx = Fixture::new();
    let bytes = good_archive();
    let wrong = "00".repeat(32);
    match install_from(&fx, Reply::Ok(bytes.clone()), Some(wrong.clone())) {
        Error::HashMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, wrong);
            assert_eq!(actual, sha256(&bytes));
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn truncated_body_is_rejected() {
    let fx = Fixture::new();
    let bytes = good_archive();
    let half = bytes[..bytes.len() / 2].to_vec();
    let err = install_from(
        &fx,
        Reply::Truncated {
            body: half,
            declared: bytes.len(),
        },
        None,
    );
    assert!(matches!(err, Error::Interrupted { .. }), "{err}");
}

#[test]
fn http_404_and_500_are_reported() {
    for code in [404, 500] {
        let fx = Fixture::new();
        match install_from(&fx, Reply::Status(code), None) {
            Error::HttpStatus { status, url } => {
                assert_eq!(status, code);
                assert!(url.ends_with(".tar.xz"), "{url}");
            }
            other => panic!("unexpected {other}"),
        }
    }
}

#[test]
fn stalled_server_times_out() {
    for reply in [
        Reply::StallBeforeHeaders,
        Reply::StallInBody {
            body: good_archive()[..100].to_vec(),
        },
    ] {
        let fx = Fixture::new();
        let start = Instant::now();
        let err = install_from(&fx, reply, None);
        assert!(matches!(err, Error::Timeout { .. }), "{err}");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "took {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn connection_refused_is_reported() {
    let fx = Fixture::new();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let options = fx
        .options()
        .base_url(format!("http://127.0.0.1:{port}"))
        .trust_on_first_use(true);
    let err = carla_fetch::install(&options).unwrap_err();
    assert!(matches!(err, Error::Http { .. }), "{err}");
    fx.assert_untouched();
}

// ---------------------------------------------------------------------------------------------
// Bad and hostile archives.

fn install_local(fx: &Fixture, bytes: &[u8]) -> Error {
    let local = fx.write_archive(bytes);
    let err =
        carla_fetch::install(&fx.options().from_file(local).trust_on_first_use(true)).unwrap_err();
    fx.assert_untouched();
    err
}

#[test]
fn corrupt_archive_is_rejected() {
    let fx = Fixture::new();
    let err = install_local(&fx, b"this is not xz");
    assert!(matches!(err, Error::Archive { .. }), "{err}");
}

#[test]
fn archive_without_executable_is_rejected() {
    let fx = Fixture::new();
    let err = install_local(&fx, &archive(&[file("Carla_test/readme", b"x", 0o644)]));
    assert!(matches!(err, Error::NoExecutableInArchive { .. }), "{err}");
}

/// Hostile entries, aimed at `outside` (an absolute path holding the canary `secret`).
///
/// The staging tree is `inst/.carla-install-*/tree`, so three `..` reach the fixture root.
fn hostile_cases(outside: &Path) -> Vec<(&'static str, Vec<E>)> {
    let o = outside.to_str().unwrap();
    let secret = format!("{o}/secret");
    let abs = format!("{o}/abs");
    vec![
        (
            "dot-dot path",
            vec![file("../../../outside/pwned", b"x", 0o644)],
        ),
        (
            "dot-dot inside path",
            vec![file("Carla_test/../../../../outside/pwned", b"x", 0o644)],
        ),
        ("absolute path", vec![file(&abs, b"x", 0o644)]),
        ("absolute directory", vec![dir(&format!("{o}/absdir/"))]),
        (
            "symlink escaping",
            vec![symlink("Carla_test/esc", "../../../../outside")],
        ),
        ("absolute symlink", vec![symlink("Carla_test/esc", o)]),
        (
            "hardlink escaping",
            vec![hardlink("Carla_test/hl", "../../../outside/secret")],
        ),
        (
            "absolute hardlink",
            vec![hardlink("Carla_test/hl", &secret)],
        ),
        (
            "hardlink through symlink",
            vec![
                symlink("Carla_test/in", "."),
                hardlink("Carla_test/hl", "Carla_test/in/Carla"),
            ],
        ),
        (
            "hardlink to missing file",
            vec![hardlink("Carla_test/hl", "Carla_test/nothing")],
        ),
        ("device node", vec![E::Device("Carla_test/null".into())]),
        ("fifo", vec![E::Fifo("Carla_test/pipe".into())]),
        (
            "file through escaping symlink",
            vec![
                symlink("Carla_test/esc", o),
                file("Carla_test/esc/pwned", b"x", 0o644),
            ],
        ),
        (
            "file through inner symlink",
            vec![
                symlink("Carla_test/in", "."),
                file("Carla_test/in/pwned", b"x", 0o644),
            ],
        ),
        (
            "file through symlink chain",
            vec![
                symlink("l1", "."),
                symlink("l2", "l1/.."),
                file("l2/outside/pwned", b"x", 0o644),
            ],
        ),
        (
            "symlink chain escaping",
            vec![symlink("l1", "."), symlink("l2", "l1/..")],
        ),
        (
            "symlink chain made later",
            vec![symlink("l2", "l1/.."), symlink("l1", ".")],
        ),
        (
            "nested symlink chain",
            vec![symlink("a/l1", ".."), symlink("a/l2", "l1/..")],
        ),
        (
            "directory replaced by symlink then written",
            vec![
                dir("Carla_test/sub/"),
                symlink("Carla_test/sub", ".."),
                file("Carla_test/sub/pwned", b"x", 0o644),
            ],
        ),
    ]
}

#[test]
fn hostile_archives_are_rejected() {
    let count = hostile_cases(Path::new("/x")).len();
    for i in 0..count {
        let fx = Fixture::new();
        let (name, entries) = hostile_cases(&fx.outside).swap_remove(i);
        let mut list = vec![
            dir("Carla_test/"),
            file("Carla_test/Carla", CARLA_SCRIPT, 0o755),
        ];
        list.extend(entries);
        let err = install_local(&fx, &archive(&list));
        assert!(matches!(err, Error::UnsafeEntry { .. }), "{name}: {err}");
    }
}

#[test]
fn hostile_archive_over_http_is_rejected() {
    let fx = Fixture::new();
    let bytes = archive(&[
        file("Carla_test/Carla", CARLA_SCRIPT, 0o755),
        file("../../../outside/pwned", b"x", 0o644),
    ]);
    let err = install_from(&fx, Reply::Ok(bytes.clone()), Some(sha256(&bytes)));
    assert!(matches!(err, Error::UnsafeEntry { .. }), "{err}");
}
