//! Wire types shared by every JSON service: epoch-second timestamps (defined in `crate::clock`)
//! and AWS string enums.

pub use crate::clock::Timestamp;

/// An AWS string enum: its wire values are known, and an unknown value is kept (not rejected
/// while decoding) so that validation can answer with AWS's ValidationException wording.
pub trait AwsEnum {
    const VALUES: &'static [&'static str];
    fn as_str(&self) -> &str;
    fn is_known(&self) -> bool;
}

/// Declares an AWS string enum with an `Unknown(String)` catch-all.
///
/// ```ignore
/// aws_enum!(ExecutionMode { Queued = "QUEUED", Superseded = "SUPERSEDED" });
/// ```
#[macro_export]
macro_rules! aws_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A value outside the enum as the client sent it (rejected by validation).
            Unknown(String),
        }

        impl $crate::protocol::AwsEnum for $name {
            const VALUES: &'static [&'static str] = &[$($wire),+];
            fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Unknown(s) => s.as_str(),
                }
            }
            fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl $name {
            pub fn parse(s: &str) -> Self {
                match s {
                    $($wire => $name::$variant,)+
                    other => $name::Unknown(other.to_string()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::protocol::AwsEnum::as_str(self))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($crate::protocol::AwsEnum::as_str(self))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ok($name::parse(&s))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    aws_enum!(Color { Red = "RED", Blue = "BLUE" });

    #[test]
    fn timestamps_are_epoch_seconds() {
        assert_eq!(serde_json::to_string(&Timestamp(1_500)).unwrap(), "1.5");
        assert_eq!(serde_json::to_string(&Timestamp(2_000)).unwrap(), "2");
        let t: Timestamp = serde_json::from_str("1716981234.512").unwrap();
        assert_eq!(t, Timestamp(1_716_981_234_512));
    }

    #[test]
    fn enums_keep_unknown_values() {
        let c: Color = serde_json::from_str("\"RED\"").unwrap();
        assert_eq!(c, Color::Red);
        let u: Color = serde_json::from_str("\"GREEN\"").unwrap();
        assert_eq!(u, Color::Unknown("GREEN".into()));
        assert!(!u.is_known());
        assert_eq!(serde_json::to_string(&Color::Blue).unwrap(), "\"BLUE\"");
        assert_eq!(Color::VALUES, &["RED", "BLUE"]);
    }
}
