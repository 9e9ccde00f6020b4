//! The add-ons: one module per capability (SOP 3.4) and the one list of them the runtime boots.
//!
//! Nothing here lists add-ons by hand. `src/build` discovers every `src/core/<module>.rs` (or
//! `src/core/<module>/mod.rs`) at build time and generates the `pub mod` lines, the flag
//! registry and the boot list; each add-on's module declares `FLAG`, `NAME` and `addon()`.
//! A new add-on is a new file, so slices developed in parallel never edit a common line.
//!
//! This module must not contain add-on logic or read flags; each add-on's module owns both.
//! It must not `use` other modules by short name either, so no add-on name can collide with an
//! import here.

include!(concat!(env!("OUT_DIR"), "/addons.rs"));

// A list generated for another checkout (two checkouts sharing one target dir) must not be
// compiled in silently: it would boot that checkout's add-ons.
const _: () = assert!(
    same(GENERATED_FOR, env!("CARGO_MANIFEST_DIR")),
    "the add-on list was generated for another checkout sharing this target dir: run `touch src/core` and build again"
);

const fn same(one: &str, other: &str) -> bool {
    let (one, other) = (one.as_bytes(), other.as_bytes());
    if one.len() != other.len() {
        return false;
    }
    let mut index = 0;
    while index < one.len() {
        if one[index] != other[index] {
            return false;
        }
        index += 1;
    }
    true
}

/// A fresh instance of every add-on, sorted by module name.
pub fn addons() -> Vec<Box<dyn crate::host::Addon>> {
    discovered_addons()
}

#[cfg(test)]
mod tests {
    use crate::flags::REGISTRY;

    /// **Architecture Invariant:** the flag registry and the add-on list describe the same
    /// add-ons, so no flag gates nothing and no add-on is ungated. (Each list is sorted by its own
    /// line text, so their orders may differ: `_` sorts differently in upper and lower case.)
    #[test]
    fn every_registered_flag_has_exactly_one_add_on_and_vice_versa() {
        let mut addons: Vec<(&str, &str)> = super::addons().iter().map(|addon| (addon.flag(), addon.name())).collect();
        let mut registry: Vec<(&str, &str)> = REGISTRY.iter().map(|spec| (spec.name, spec.addon)).collect();
        addons.sort_unstable();
        registry.sort_unstable();
        assert_eq!(addons, registry);
    }

    /// Every add-on's war-room row names itself and its flag, before it has even booted.
    #[test]
    fn every_add_on_reports_itself_as_disabled_before_booting() {
        for addon in super::addons() {
            let entry = addon.report();
            assert_eq!((entry.addon.as_str(), entry.flag.as_str()), (addon.name(), addon.flag()));
            assert_eq!(entry.status, crate::war_room::AddonStatus::Disabled);
        }
    }
}
