//! VST2 preset files, which Carla cannot load itself: `.fxp` (one program: its parameters'
//! values, `FxCk`, or the plugin's opaque chunk, `FPCh`) and `.fxb` (a bank: programs, `FxBk`,
//! or one chunk, `FBCh`). The format is Steinberg's public `fxprogram`/`fxbank` layout: a
//! big-endian header naming the plugin by its unique id, then the values or the chunk.

use std::path::Path;

use crate::error::{Error, Result};

/// What a VST2 preset file holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Vst2Preset {
    /// The unique id of the plugin it was saved from.
    pub plugin_id: i32,
    /// Its content.
    pub content: Vst2Content,
}

/// A VST2 preset's content.
#[derive(Clone, Debug, PartialEq)]
pub enum Vst2Content {
    /// Every parameter's value, normalised to 0..1, by index (from a program, or a bank's
    /// current program).
    Parameters(Vec<f32>),
    /// The plugin's opaque state.
    Chunk(Vec<u8>),
}

const HEADER_MAGIC: &[u8; 4] = b"CcnK";
/// Length of a program's name field.
const NAME_LEN: usize = 28;
/// Reserved bytes of a bank header.
const BANK_RESERVED: usize = 128;

impl Vst2Preset {
    /// Reads an `.fxp` or `.fxb` file.
    pub fn read(path: impl AsRef<Path>) -> Result<Vst2Preset> {
        let path = path.as_ref();
        let bad = |reason: String| Error::ControlFile {
            path: path.to_path_buf(),
            line: 0,
            reason,
        };
        let bytes = std::fs::read(path).map_err(|e| bad(format!("cannot read: {e}")))?;
        Vst2Preset::parse(&bytes).map_err(bad)
    }

    /// Parses the bytes of an `.fxp` or `.fxb` file.
    pub fn parse(bytes: &[u8]) -> std::result::Result<Vst2Preset, String> {
        let mut reader = Reader { bytes, at: 0 };
        let (kind, plugin_id, count) = reader.header()?;
        let content = match &kind {
            b"FxCk" => {
                reader.skip(NAME_LEN)?;
                Vst2Content::Parameters(reader.floats(count)?)
            }
            b"FPCh" => {
                reader.skip(NAME_LEN)?;
                Vst2Content::Chunk(reader.chunk()?)
            }
            b"FxBk" | b"FBCh" => {
                // Version 2 banks name their current program in the reserved bytes.
                let current = reader.i32()?.max(0) as usize;
                reader.skip(BANK_RESERVED - 4)?;
                if &kind == b"FBCh" {
                    Vst2Content::Chunk(reader.chunk()?)
                } else {
                    let mut programs = Vec::new();
                    for _ in 0..count {
                        let (kind, _, params) = reader.header()?;
                        if &kind != b"FxCk" {
                            return Err("a bank's program is not a list of parameters".into());
                        }
                        reader.skip(NAME_LEN)?;
                        programs.push(reader.floats(params)?);
                    }
                    let chosen = if current < programs.len() { current } else { 0 };
                    Vst2Content::Parameters(
                        programs
                            .into_iter()
                            .nth(chosen)
                            .ok_or("the bank holds no program")?,
                    )
                }
            }
            other => {
                return Err(format!(
                    "not a VST2 preset (kind {:?})",
                    String::from_utf8_lossy(other)
                ));
            }
        };
        Ok(Vst2Preset { plugin_id, content })
    }

    /// The `.fxp` file of this preset (a program: `FxCk` or `FPCh`), named `name`.
    pub fn to_fxp(&self, name: &str) -> Vec<u8> {
        let mut body = Vec::new();
        let (kind, count) = match &self.content {
            Vst2Content::Parameters(values) => (b"FxCk", values.len()),
            Vst2Content::Chunk(_) => (b"FPCh", 1),
        };
        body.extend_from_slice(kind);
        body.extend_from_slice(&1i32.to_be_bytes()); // format version
        body.extend_from_slice(&self.plugin_id.to_be_bytes());
        body.extend_from_slice(&1i32.to_be_bytes()); // the plugin's version: unknown
        body.extend_from_slice(&(count as i32).to_be_bytes());
        let mut program_name = [0u8; NAME_LEN];
        for (slot, byte) in program_name[..NAME_LEN - 1].iter_mut().zip(name.bytes()) {
            *slot = byte;
        }
        body.extend_from_slice(&program_name);
        match &self.content {
            Vst2Content::Parameters(values) => {
                for value in values {
                    body.extend_from_slice(&value.to_be_bytes());
                }
            }
            Vst2Content::Chunk(chunk) => {
                body.extend_from_slice(&(chunk.len() as i32).to_be_bytes());
                body.extend_from_slice(chunk);
            }
        }
        let mut file = HEADER_MAGIC.to_vec();
        file.extend_from_slice(&(body.len() as i32).to_be_bytes());
        file.extend_from_slice(&body);
        file
    }
}

/// Big-endian fields read in order, each failure naming the offset.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> std::result::Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len());
        let Some(end) = end else {
            return Err(format!(
                "the file ends at byte {} where {n} more were expected",
                self.bytes.len()
            ));
        };
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn skip(&mut self, n: usize) -> std::result::Result<(), String> {
        self.take(n).map(|_| ())
    }

    fn i32(&mut self) -> std::result::Result<i32, String> {
        let bytes = self.take(4)?;
        Ok(i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn magic(&mut self) -> std::result::Result<[u8; 4], String> {
        let bytes = self.take(4)?;
        Ok([bytes[0], bytes[1], bytes[2], bytes[3]])
    }

    /// `CcnK`, size, kind, format version, plugin id, plugin version, count: (kind, id, count).
    fn header(&mut self) -> std::result::Result<([u8; 4], i32, usize), String> {
        let at = self.at;
        if &self.magic()? != HEADER_MAGIC {
            return Err(format!("no VST2 preset header (CcnK) at byte {at}"));
        }
        let _size = self.i32()?;
        let kind = self.magic()?;
        let _format_version = self.i32()?;
        let plugin_id = self.i32()?;
        let _plugin_version = self.i32()?;
        let count = self.count()?;
        Ok((kind, plugin_id, count))
    }

    /// A count that cannot be negative nor larger than the file.
    fn count(&mut self) -> std::result::Result<usize, String> {
        let at = self.at;
        let count = self.i32()?;
        usize::try_from(count)
            .ok()
            .filter(|count| *count <= self.bytes.len())
            .ok_or_else(|| format!("impossible count {count} at byte {at}"))
    }

    fn floats(&mut self, count: usize) -> std::result::Result<Vec<f32>, String> {
        (0..count)
            .map(|_| self.i32().map(|bits| f32::from_bits(bits as u32)))
            .collect()
    }

    fn chunk(&mut self) -> std::result::Result<Vec<u8>, String> {
        let size = self.count()?;
        Ok(self.take(size)?.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_round_trip_through_fxp() {
        for content in [
            Vst2Content::Parameters(vec![0.0, 0.25, 1.0]),
            Vst2Content::Chunk(b"any bytes \0 at all".to_vec()),
        ] {
            let preset = Vst2Preset {
                plugin_id: i32::from_be_bytes(*b"Kars"),
                content,
            };
            let file = preset.to_fxp("a name longer than twenty-eight bytes, cut");
            assert_eq!(Vst2Preset::parse(&file).unwrap(), preset);
        }
    }

    /// A bank, written here byte by byte as the format's layout says.
    fn bank(current: i32) -> Vec<u8> {
        let program = |value: f32| {
            Vst2Preset {
                plugin_id: 7,
                content: Vst2Content::Parameters(vec![value, value]),
            }
            .to_fxp("p")
        };
        let mut body = b"FxBk".to_vec();
        for field in [2i32, 7, 1, 2, current] {
            body.extend_from_slice(&field.to_be_bytes());
        }
        body.extend_from_slice(&[0; BANK_RESERVED - 4]);
        body.extend(program(0.1));
        body.extend(program(0.9));
        let mut file = HEADER_MAGIC.to_vec();
        file.extend_from_slice(&(body.len() as i32).to_be_bytes());
        file.extend(body);
        file
    }

    #[test]
    fn a_bank_gives_its_current_program() {
        let first = Vst2Preset::parse(&bank(0)).unwrap();
        assert_eq!(first.content, Vst2Content::Parameters(vec![0.1, 0.1]));
        let second = Vst2Preset::parse(&bank(1)).unwrap();
        assert_eq!(second.content, Vst2Content::Parameters(vec![0.9, 0.9]));
        assert_eq!(second.plugin_id, 7);
    }

    #[test]
    fn broken_files_are_errors_not_panics() {
        let file = Vst2Preset {
            plugin_id: 1,
            content: Vst2Content::Chunk(vec![1; 100]),
        }
        .to_fxp("x");
        for end in 0..file.len() {
            assert!(Vst2Preset::parse(&file[..end]).is_err(), "cut at {end}");
        }
        assert!(Vst2Preset::parse(b"CcnK\0\0\0\x10NoNo\0\0\0\x01").is_err());
        let mut huge = file.clone();
        huge[56..60].copy_from_slice(&i32::MAX.to_be_bytes());
        assert!(Vst2Preset::parse(&huge).is_err());
    }
}
