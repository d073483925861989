//! A streaming FLAC writer: memory stays flat however long the render. It encodes with libFLAC
//! where the system has it ([`crate::libflac`], ten times faster) and otherwise with flacenc:
//! each block of 4096 frames is encoded and written as soon as it is full, the STREAMINFO
//! header written first with placeholders and rewritten on `finish` with the totals and the MD5
//! of the samples (it has a fixed size, so it is patched in place). Both give the same samples;
//! `PYCARLA_FLAC_ENCODER=flacenc` chooses flacenc where libFLAC is installed.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use flacenc::bitsink::ByteSink;
use flacenc::component::{BitRepr, StreamInfo};
use flacenc::error::Verify;
use flacenc::source::{Context, Fill, FrameBuf};

use crate::libflac::LibFlacFile;
use crate::wav::quantize;

/// The environment variable that chooses flacenc over libFLAC (`flacenc`).
pub const FLAC_ENCODER_VAR: &str = "PYCARLA_FLAC_ENCODER";

/// Which encoder writes a FLAC file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlacEncoder {
    /// libFLAC, loaded at run time.
    LibFlac,
    /// flacenc (pure Rust), always there.
    Flacenc,
}

impl FlacEncoder {
    /// libFLAC where the system has it (unless `$PYCARLA_FLAC_ENCODER` says `flacenc`), else
    /// flacenc.
    pub fn preferred() -> FlacEncoder {
        let forced = std::env::var(FLAC_ENCODER_VAR).is_ok_and(|name| name == "flacenc");
        if !forced && crate::libflac::available() {
            FlacEncoder::LibFlac
        } else {
            FlacEncoder::Flacenc
        }
    }
}

/// Frames per FLAC frame: flacenc's and the reference encoder's default.
const BLOCK: usize = 4096;

/// `fLaC`, then the header of the last (and only) metadata block: STREAMINFO, 34 bytes.
const MAGIC_AND_BLOCK_HEADER: [u8; 8] = [b'f', b'L', b'a', b'C', 0x80, 0, 0, 34];

/// An open FLAC file, by either encoder.
#[derive(Debug)]
pub(crate) enum FlacFile {
    LibFlac {
        file: LibFlacFile,
        bits: usize,
        /// Quantised samples of the current write, kept for its allocation.
        quantised: Vec<i32>,
    },
    Flacenc(Box<FlacencFile>),
}

impl FlacFile {
    /// Creates `path` for `channels` channels of `bits`-bit samples (16 or 24), with the
    /// preferred encoder.
    pub fn create(
        path: &Path,
        channels: u16,
        sample_rate: u32,
        bits: u8,
    ) -> std::io::Result<FlacFile> {
        Self::create_with(FlacEncoder::preferred(), path, channels, sample_rate, bits)
    }

    /// The same with `encoder` (flacenc where libFLAC is asked for and missing).
    pub fn create_with(
        encoder: FlacEncoder,
        path: &Path,
        channels: u16,
        sample_rate: u32,
        bits: u8,
    ) -> std::io::Result<FlacFile> {
        if encoder == FlacEncoder::LibFlac
            && let Some(file) = LibFlacFile::create(path, channels, sample_rate, bits)
        {
            return Ok(FlacFile::LibFlac {
                file: file?,
                bits: usize::from(bits),
                quantised: Vec::new(),
            });
        }
        FlacencFile::create(path, channels, sample_rate, bits)
            .map(|file| FlacFile::Flacenc(Box::new(file)))
    }

    /// Appends interleaved samples (clipped to ±1 and quantised as the WAV writer does).
    pub fn write(&mut self, samples: &[f32]) -> std::io::Result<()> {
        match self {
            FlacFile::LibFlac {
                file,
                bits,
                quantised,
            } => {
                let full_scale = ((1u32 << (*bits - 1)) - 1) as f32;
                quantised.clear();
                quantised.extend(samples.iter().map(|&s| quantize(s, full_scale)));
                file.write(quantised)
            }
            FlacFile::Flacenc(file) => file.write(samples),
        }
    }

    /// Makes what was written so far reach the file (whole FLAC frames).
    pub fn flush(&mut self) -> std::io::Result<()> {
        match self {
            FlacFile::LibFlac { file, .. } => file.flush(),
            FlacFile::Flacenc(file) => file.flush(),
        }
    }

    /// Completes the file.
    pub fn finish(self) -> std::io::Result<()> {
        match self {
            FlacFile::LibFlac { file, .. } => file.finish(),
            FlacFile::Flacenc(file) => file.finish(),
        }
    }
}

/// An open FLAC file written by flacenc.
pub(crate) struct FlacencFile {
    file: BufWriter<File>,
    bits: usize,
    channels: usize,
    config: flacenc::error::Verified<flacenc::config::Encoder>,
    info: StreamInfo,
    context: Context,
    frame: FrameBuf,
    /// Interleaved integer samples waiting for a whole block.
    pending: Vec<i32>,
    frames_written: usize,
    sink: ByteSink,
}

impl std::fmt::Debug for FlacencFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlacFile")
            .field("bits", &self.bits)
            .field("channels", &self.channels)
            .field("frames_written", &self.frames_written)
            .finish()
    }
}

impl FlacencFile {
    /// Creates `path` for `channels` channels of `bits`-bit samples (16 or 24).
    pub fn create(
        path: &Path,
        channels: u16,
        sample_rate: u32,
        bits: u8,
    ) -> std::io::Result<FlacencFile> {
        let (channels, bits) = (usize::from(channels), usize::from(bits));
        let invalid = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, what);
        let info = StreamInfo::new(sample_rate as usize, channels, bits)
            .map_err(|e| invalid(format!("FLAC cannot hold this stream: {e}")))?;
        let config = flacenc::config::Encoder::default()
            .into_verified()
            .map_err(|(_, e)| invalid(format!("FLAC encoder settings: {e}")))?;
        let frame = FrameBuf::with_size(channels, BLOCK)
            .map_err(|e| invalid(format!("FLAC frame: {e}")))?;
        let mut file = BufWriter::with_capacity(1 << 20, File::create(path)?);
        file.write_all(&MAGIC_AND_BLOCK_HEADER)?;
        file.write_all(&stream_info_bytes(&info)?)?;
        Ok(FlacencFile {
            file,
            bits,
            channels,
            config,
            info,
            context: Context::new(bits, channels),
            frame,
            pending: Vec::with_capacity(BLOCK * channels),
            frames_written: 0,
            sink: ByteSink::new(),
        })
    }

    /// Appends interleaved samples (clipped to ±1 and quantised as the WAV writer does).
    pub fn write(&mut self, samples: &[f32]) -> std::io::Result<()> {
        let full_scale = ((1u32 << (self.bits - 1)) - 1) as f32;
        for &sample in samples {
            self.pending.push(quantize(sample, full_scale));
            if self.pending.len() == BLOCK * self.channels {
                self.encode_pending()?;
            }
        }
        Ok(())
    }

    /// Writes what is buffered (whole frames stay pending until a block is full).
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }

    /// Encodes the last, shorter block and completes the header.
    pub fn finish(mut self: Box<Self>) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            self.encode_pending()?;
        }
        self.info
            .set_block_sizes(BLOCK, BLOCK)
            .map_err(|e| std::io::Error::other(format!("FLAC block sizes: {e}")))?;
        self.info.set_md5_digest(&self.context.md5_digest());
        self.info.set_total_samples(self.context.total_samples());
        self.file.flush()?;
        let header = stream_info_bytes(&self.info)?;
        let file = self.file.get_mut();
        file.seek(SeekFrom::Start(MAGIC_AND_BLOCK_HEADER.len() as u64))?;
        file.write_all(&header)?;
        file.flush()
    }

    fn encode_pending(&mut self) -> std::io::Result<()> {
        let failed = |what: &str, e: &dyn std::fmt::Display| {
            std::io::Error::other(format!("FLAC {what}: {e}"))
        };
        self.frame
            .fill_interleaved(&self.pending)
            .map_err(|e| failed("samples", &e))?;
        self.context
            .fill_interleaved(&self.pending)
            .map_err(|e| failed("samples", &e))?;
        let frame = flacenc::encode_fixed_size_frame(
            &self.config,
            &self.frame,
            self.frames_written,
            &self.info,
        )
        .map_err(|e| failed("encoding", &e))?;
        self.info.update_frame_info(&frame);
        self.sink.clear();
        frame
            .write(&mut self.sink)
            .map_err(|e| failed("encoding", &e))?;
        self.file.write_all(self.sink.as_slice())?;
        self.frames_written += 1;
        self.pending.clear();
        Ok(())
    }
}

fn stream_info_bytes(info: &StreamInfo) -> std::io::Result<Vec<u8>> {
    let mut sink = ByteSink::new();
    info.write(&mut sink)
        .map_err(|e| std::io::Error::other(format!("FLAC header: {e}")))?;
    Ok(sink.as_slice().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_encoders_decode_to_the_samples_written_at_16_and_24_bits() {
        let dir = tempfile::tempdir().unwrap();
        // 10 000 stereo frames: two full blocks and a short one.
        let samples: Vec<f32> = (0..20_000)
            .map(|i| ((i as f32) * 0.01).sin() * 0.8)
            .collect();
        let encoders = [FlacEncoder::LibFlac, FlacEncoder::Flacenc];
        for (bits, encoder) in [16u8, 24]
            .into_iter()
            .flat_map(|b| encoders.map(|e| (b, e)))
        {
            if encoder == FlacEncoder::LibFlac && !crate::libflac::available() {
                eprintln!("skipped: libFLAC is not installed");
                continue;
            }
            let path = dir.path().join(format!("x{bits}-{encoder:?}.flac"));
            let mut file = FlacFile::create_with(encoder, &path, 2, 48_000, bits).unwrap();
            assert_eq!(
                matches!(file, FlacFile::LibFlac { .. }),
                encoder == FlacEncoder::LibFlac
            );
            file.write(&samples[..7_000]).unwrap();
            file.write(&samples[7_000..]).unwrap();
            file.finish().unwrap();
            let mut reader = claxon::FlacReader::open(&path).unwrap();
            let info = reader.streaminfo();
            assert_eq!(
                (info.samples, info.channels, info.bits_per_sample),
                (Some(10_000), 2, u32::from(bits))
            );
            let full_scale = ((1u32 << (bits - 1)) - 1) as f32;
            let decoded: Vec<i32> = reader.samples().map(Result::unwrap).collect();
            let expected: Vec<i32> = samples.iter().map(|&s| quantize(s, full_scale)).collect();
            assert_eq!(decoded, expected);
        }
    }
}
