//! SHA-256 parsing and streaming computation.

use sha2::{Digest, Sha256};
use std::io::{self, Read, Write};

use crate::Error;

/// Normalises a user-supplied SHA-256 to lowercase hex, rejecting anything else.
///
/// Accepts surrounding whitespace and an optional `sha256:` prefix, because hashes are usually
/// pasted from `sha256sum` output or a web page.
pub fn parse_sha256(input: &str) -> Result<String, Error> {
    let trimmed = input.trim();
    let hex_part = trimmed.strip_prefix("sha256:").unwrap_or(trimmed);
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut bytes).map_err(|_| Error::InvalidSha256 {
        input: input.to_owned(),
    })?;
    Ok(hex::encode(bytes))
}

/// A writer that hashes everything written through it.
///
/// Hashing while copying means the bytes verified are exactly the bytes stored, with no second
/// read that a concurrent writer could race.
#[derive(Debug)]
pub(crate) struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }

    /// Bytes written so far.
    pub(crate) fn written(&self) -> u64 {
        self.written
    }

    /// The inner writer and the lowercase hex digest of everything written.
    pub(crate) fn finish(self) -> (W, String) {
        (self.inner, hex::encode(self.hasher.finalize()))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The lowercase hex SHA-256 of everything `reader` yields.
pub fn sha256_of(mut reader: impl Read) -> io::Result<String> {
    let mut writer = HashingWriter::new(io::sink());
    io::copy(&mut reader, &mut writer)?;
    Ok(writer.finish().1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            parse_sha256(&format!("  sha256:{}\n", empty.to_uppercase())).unwrap(),
            empty
        );
        assert_eq!(sha256_of(&b""[..]).unwrap(), empty);
        for bad in [
            "",
            "abc",
            &empty[1..],
            &format!("{empty}00"),
            &empty.replace('e', "g"),
        ] {
            assert!(parse_sha256(bad).is_err(), "{bad:?}");
        }
    }
}
