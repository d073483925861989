//! Variants: the same inputs through several named chains, each a run with its own outputs
//! (`song.NAME.wav`). From `NAME=SPEC[,SPEC…]` words (with the request's plugin settings) or a
//! TOML file of named chains with settings (`pycarla_render::read_variants`).

use std::collections::HashSet;

use pycarla_render::settings::PluginControls;
use pycarla_render::{Instrument, Variant};

use crate::error::{Error, Result};

/// The variant `NAME=SPEC[,SPEC…]`, its chain with `controls`.
pub fn chain_variant(text: &str, controls: &PluginControls) -> Result<Variant> {
    let bad = |why: &str| Error::Variant {
        text: text.to_string(),
        why: why.to_string(),
    };
    let (name, specs) = text
        .split_once('=')
        .ok_or_else(|| bad("expected NAME=SPEC[,SPEC…]"))?;
    let chain: Vec<String> = specs.split(',').map(str::to_string).collect();
    let safe = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    if name.is_empty() || !name.chars().all(safe) {
        return Err(bad(
            "the name must be letters, digits, `-` or `_` (it goes in file names)",
        ));
    }
    if chain.iter().any(|spec| spec.is_empty()) {
        return Err(bad("an empty plugin in the chain"));
    }
    Ok(Variant {
        name: name.to_string(),
        instrument: Instrument::Plugins(chain),
        controls: controls.clone(),
    })
}

/// Refuses two variants of one name (their outputs would overwrite each other).
pub fn check_unique(variants: &[Variant]) -> Result<()> {
    let mut seen = HashSet::new();
    for variant in variants {
        if !seen.insert(variant.name.as_str()) {
            return Err(Error::Variant {
                text: variant.name.clone(),
                why: "given twice".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_variants_are_checked() {
        let controls = PluginControls::default();
        let variant = chain_variant("soft=a.sf2,b.lv2", &controls).unwrap();
        assert_eq!(variant.name, "soft");
        assert!(matches!(variant.instrument, Instrument::Plugins(ref c) if c.len() == 2));
        for bad in ["soft", "=a.sf2", "a b=x.sf2", "x=a.sf2,"] {
            assert!(chain_variant(bad, &controls).is_err(), "{bad}");
        }
        let twice = [variant.clone(), variant];
        assert!(check_unique(&twice).is_err());
    }
}
