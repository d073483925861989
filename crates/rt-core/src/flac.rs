//! A streaming FLAC writer: each block of 4096 frames is encoded (flacenc) and written as soon
//! as it is full, so memory stays flat however long the render. The STREAMINFO header is
//! written first with placeholders and rewritten on `finish` with the totals and the MD5 of the
//! samples (it has a fixed size, so it is patched in place).

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;

use flacenc::bitsink::ByteSink;
use flacenc::component::{BitRepr, StreamInfo};
use flacenc::error::Verify;
use flacenc::source::{Context, Fill, FrameBuf};

use crate::wav::quantize;

/// Frames per FLAC frame: flacenc's and the reference encoder's default.
const BLOCK: usize = 4096;

/// `fLaC`, then the header of the last (and only) metadata block: STREAMINFO, 34 bytes.
const MAGIC_AND_BLOCK_HEADER: [u8; 8] = [b'f', b'L', b'a', b'C', 0x80, 0, 0, 34];

/// An open FLAC file.
pub(crate) struct FlacFile {
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

impl std::fmt::Debug for FlacFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlacFile")
            .field("bits", &self.bits)
            .field("channels", &self.channels)
            .field("frames_written", &self.frames_written)
            .finish()
    }
}

impl FlacFile {
    /// Creates `path` for `channels` channels of `bits`-bit samples (16 or 24).
    pub fn create(
        path: &Path,
        channels: u16,
        sample_rate: u32,
        bits: u8,
    ) -> std::io::Result<FlacFile> {
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
        Ok(FlacFile {
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
    pub fn finish(mut self) -> std::io::Result<()> {
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
    fn decodes_to_the_samples_written_at_16_and_24_bits() {
        let dir = tempfile::tempdir().unwrap();
        // 10 000 stereo frames: two full blocks and a short one.
        let samples: Vec<f32> = (0..20_000)
            .map(|i| ((i as f32) * 0.01).sin() * 0.8)
            .collect();
        for bits in [16u8, 24] {
            let path = dir.path().join(format!("x{bits}.flac"));
            let mut file = FlacFile::create(&path, 2, 48_000, bits).unwrap();
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
