//! Reading history for `check`: commits and diffs between the merge-base and HEAD.
