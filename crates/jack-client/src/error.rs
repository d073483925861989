/// What can go wrong while opening a client or looking for ports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The JACK library (libjack.so.0) could not be loaded.
    #[error("cannot load the JACK library: {0} (install it: sudo apt-get install jackd2)")]
    Library(String),
    /// No client could be opened: usually no server runs under that name.
    #[error(
        "cannot open JACK client `{client}` on server `{server}`: {status} (is the server running?)"
    )]
    Open {
        /// The client name asked for.
        client: String,
        /// The server name.
        server: String,
        /// JACK's status bits.
        status: String,
    },
    /// No port matches a pattern.
    #[error("no JACK port matches `{pattern}` (ports present: {present})")]
    NoPort {
        /// The glob pattern.
        pattern: String,
        /// The ports that do exist, for the message.
        present: String,
    },
    /// A port pattern is not a valid glob.
    #[error("invalid port pattern `{pattern}`: {reason}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// Why.
        reason: String,
    },
}
