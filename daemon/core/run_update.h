// Applying a RunUpdate to the in-memory copy of a run, the way the store applies it.
#pragma once

#include "storage/run_store.h"

namespace bsched::core {

void apply_update(storage::RunRow& row, const storage::RunUpdate& update);

}  // namespace bsched::core
