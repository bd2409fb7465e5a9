// TakeSpecSnapshot: a snapshot with hone.yaml's `pii:` applied before anything else reads it.
#include <optional>
#include <utility>

#include "hone/core/digest.h"
#include "hone/core/pii.h"
#include "hone/learn/bundle.h"
#include "hone/pipeline/pipeline_run.h"
#include "hone/pipeline/source.h"

namespace hone::pipeline {

Result<Snapshot> TakeSpecSnapshot(const Spec& spec) {
  const core::CsvReadOptions csv = CsvOptionsOf(spec);
  HONE_ASSIGN_OR_RETURN(Snapshot snapshot, TakeSnapshot(spec.data, spec.dir, csv));
  if (spec.pii.empty()) return snapshot;
  std::optional<core::PiiKey> key;
  if (spec.pii.HasHash()) {
    std::optional<std::filesystem::path> file;
    if (!spec.pii_key_file.empty()) {
      const std::filesystem::path written = spec.pii_key_file;
      file = written.is_absolute() ? written : spec.dir / written;
    }
    HONE_ASSIGN_OR_RETURN(key, core::LoadPiiKey(file));
    if (!key) {
      for (const core::PiiColumn& c : spec.pii.columns) {
        if (c.mode == core::PiiMode::kHash) return Fail(core::MissingPiiKey(c.name, c.where));
      }
    }
  }
  const core::PiiKey* k = key ? &*key : nullptr;
  HONE_ASSIGN_OR_RETURN(snapshot.table, core::ApplyPii(snapshot.table, spec.pii, k));
  // The raw bytes go at once: what is kept, shown or digested from here on is the transform.
  snapshot.bytes = core::FormatCsv(snapshot.table, csv.delimiter);
  snapshot.digest = core::Sha256Hex(snapshot.bytes);
  snapshot.pii = learn::BundlePiiJson(spec.pii, k);
  return snapshot;
}

}  // namespace hone::pipeline
