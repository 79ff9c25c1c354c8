//! The rule registry: one line per rule, and the only list of rules (lint
//! and SARIF take theirs from it). Adding a rule: write its file here (doc
//! comment first, `reads` and one check per input it reads), add it to
//! [`ALL`], run `cargo test` and accept the regenerated page in `rules/`
//! (see README, "Adding a rule").

mod automatic_index;
mod concurrent_index_if_not_exists;
mod constraint_builds_index;
mod constraint_without_not_valid;
mod cte_aggregate_filtered;
mod dead_tuples;
mod deep_offset;
mod disk_spill;
mod dropped_index_needed;
mod dropped_or_renamed_in_use;
mod duplicate_index;
mod exclusive_lock_command;
mod fk_without_index;
mod function_on_indexed_column;
mod heap_fetches;
mod index_filter;
mod invalid_index;
mod jit_overhead;
mod join_filter;
mod join_full_scan;
mod lossy_bitmap;
mod missing_index;
mod missing_lock_timeout;
mod n_plus_one;
mod nested_loop_inner_scan;
mod no_statistics;
mod non_concurrent_detach_partition;
mod non_concurrent_drop_index;
mod non_concurrent_index;
mod non_concurrent_reindex;
mod not_null_column_without_default;
mod not_understood;
mod repeated_per_worker;
mod rewriting_add_column;
mod rewriting_type_change;
mod row_misestimate;
mod seq_scan;
mod seq_scanned_table;
mod serial_column;
mod set_not_null_without_check;
mod slow_planning;
mod slow_trigger;
mod sort_for_limit;
mod sqlite_settings;
mod subplan_rescan;
mod table_without_primary_key;
mod temp_b_tree;
mod union_dedup;
mod unique_without_partition_key;
mod unused_index;
mod workers_not_launched;

pub use automatic_index::AutomaticIndex;
pub use concurrent_index_if_not_exists::ConcurrentIndexIfNotExists;
pub use constraint_builds_index::ConstraintBuildsIndex;
pub use constraint_without_not_valid::ConstraintWithoutNotValid;
pub use cte_aggregate_filtered::CteAggregateFiltered;
pub use dead_tuples::DeadTuples;
pub use deep_offset::DeepOffset;
pub use disk_spill::DiskSpill;
pub use dropped_index_needed::DroppedIndexNeeded;
pub use dropped_or_renamed_in_use::DroppedOrRenamedInUse;
pub use duplicate_index::DuplicateIndex;
pub use exclusive_lock_command::ExclusiveLockCommand;
pub use fk_without_index::FkWithoutIndex;
pub use function_on_indexed_column::FunctionOnIndexedColumn;
pub use heap_fetches::HeapFetches;
pub use index_filter::IndexFilter;
pub use invalid_index::InvalidIndex;
pub use jit_overhead::JitOverhead;
pub use join_filter::JoinFilter;
pub use join_full_scan::JoinFullScan;
pub use lossy_bitmap::LossyBitmap;
pub use missing_index::MissingIndex;
pub use missing_lock_timeout::MissingLockTimeout;
pub use n_plus_one::NPlusOne;
pub use nested_loop_inner_scan::NestedLoopInnerScan;
pub use no_statistics::NoStatistics;
pub use non_concurrent_detach_partition::NonConcurrentDetachPartition;
pub use non_concurrent_drop_index::NonConcurrentDropIndex;
pub use non_concurrent_index::NonConcurrentIndex;
pub use non_concurrent_reindex::NonConcurrentReindex;
pub use not_null_column_without_default::NotNullColumnWithoutDefault;
pub use not_understood::NotUnderstood;
pub use repeated_per_worker::RepeatedPerWorker;
pub use rewriting_add_column::RewritingAddColumn;
pub use rewriting_type_change::RewritingTypeChange;
pub use row_misestimate::RowMisestimate;
pub use seq_scan::SeqScan;
pub use seq_scanned_table::SeqScannedTable;
pub use serial_column::SerialColumn;
pub use set_not_null_without_check::SetNotNullWithoutCheck;
pub use slow_planning::SlowPlanning;
pub use slow_trigger::SlowTrigger;
pub use sort_for_limit::SortForLimit;
pub use sqlite_settings::SqliteSettings;
pub use subplan_rescan::SubplanRescan;
pub use table_without_primary_key::TableWithoutPrimaryKey;
pub use temp_b_tree::TempBTree;
pub use union_dedup::UnionDedup;
pub use unique_without_partition_key::UniqueWithoutPartitionKey;
pub use unused_index::UnusedIndex;
pub use workers_not_launched::WorkersNotLaunched;

use super::{Rule, RuleMeta};

pub static ALL: &[&dyn Rule] = &[
    &SeqScan,
    &FunctionOnIndexedColumn,
    &RowMisestimate,
    &DiskSpill,
    &NestedLoopInnerScan,
    &JoinFullScan,
    &JoinFilter,
    &SubplanRescan,
    &UnionDedup,
    &IndexFilter,
    &SortForLimit,
    &DeepOffset,
    &CteAggregateFiltered,
    &LossyBitmap,
    &HeapFetches,
    &WorkersNotLaunched,
    &RepeatedPerWorker,
    &JitOverhead,
    &SlowPlanning,
    &SlowTrigger,
    &FkWithoutIndex,
    &DuplicateIndex,
    &NonConcurrentIndex,
    &NonConcurrentDropIndex,
    &NonConcurrentReindex,
    &ConcurrentIndexIfNotExists,
    &ConstraintBuildsIndex,
    &ConstraintWithoutNotValid,
    &SetNotNullWithoutCheck,
    &NotNullColumnWithoutDefault,
    &RewritingAddColumn,
    &RewritingTypeChange,
    &NonConcurrentDetachPartition,
    &ExclusiveLockCommand,
    &DroppedOrRenamedInUse,
    &MissingLockTimeout,
    &SerialColumn,
    &MissingIndex,
    &TableWithoutPrimaryKey,
    &UniqueWithoutPartitionKey,
    &DroppedIndexNeeded,
    &NPlusOne,
    &TempBTree,
    &AutomaticIndex,
    &NoStatistics,
    &SqliteSettings,
    &InvalidIndex,
    &UnusedIndex,
    &SeqScannedTable,
    &DeadTuples,
    &NotUnderstood,
];

/// Every rule's metadata, in registry order.
pub fn metas() -> impl Iterator<Item = &'static RuleMeta> {
    ALL.iter().map(|r| r.meta())
}
