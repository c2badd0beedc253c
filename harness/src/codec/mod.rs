//! The wire codecs: frames (well-formed or not), masking, UTF-8, close payloads.

pub mod close;
pub mod deflate;
pub mod deframer;
pub mod frame;
pub mod hixie;
pub mod mask;
pub mod message;
pub mod utf8;
pub mod violation;

pub use close::{is_valid_close_code, parse_close_payload, CloseBody};
pub use deframer::{Deframer, Piece};
pub use frame::{encode_header, FrameHeader, MAX_HEADER_LEN};
pub use mask::apply_mask;
pub use message::{check_header, DataFrame, MessageState, Role};
pub use utf8::{InvalidUtf8, Utf8Validator};
pub use violation::Violation;
