/// A message that goes on the MIDI wire: a channel message or a system-exclusive packet.
///
/// Meta events are not messages: they never reach a synth.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Message {
    /// A channel voice message of 2 or 3 bytes (status byte first).
    Channel {
        /// The bytes; only the first `len` are used.
        bytes: [u8; 3],
        /// 2 or 3.
        len: u8,
    },
    /// A system-exclusive packet as sent on the wire (starting `F0`), or the raw bytes of an
    /// SMF escape (`F7`) event.
    SysEx(Box<[u8]>),
}

impl Message {
    /// A channel message from its status byte and data bytes.
    pub(crate) fn channel(status: u8, data: &[u8]) -> Self {
        let mut bytes = [status, 0, 0];
        bytes[1..1 + data.len()].copy_from_slice(data);
        Message::Channel {
            bytes,
            len: 1 + data.len() as u8,
        }
    }

    /// The bytes to write on the wire.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Message::Channel { bytes, len } => &bytes[..usize::from(*len)],
            Message::SysEx(bytes) => bytes,
        }
    }

    /// `Some((channel, key, velocity))` for a note-on with a velocity above zero (a note-on with
    /// velocity zero is a note-off by the MIDI standard).
    pub fn note_on(&self) -> Option<(u8, u8, u8)> {
        match self.bytes() {
            [status, key, velocity] if status & 0xF0 == 0x90 && *velocity > 0 => {
                Some((status & 0x0F, *key, *velocity))
            }
            _ => None,
        }
    }

    /// Whether this is a channel message (as opposed to system exclusive).
    pub fn is_channel(&self) -> bool {
        matches!(self, Message::Channel { .. })
    }
}
