//! Remote work and history rewriting for `pre-pr` and `hotfix`: fetch, rebase, merge, stash,
//! and the in-memory conflict prediction that runs before any of them touches the tree.
