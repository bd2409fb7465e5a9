// The trainer registry: every model kind hone can train, found by name.
#include <string>

#include "hone/learn/forest/forest_trainer.h"
#include "hone/learn/model.h"
#include "hone/learn/xgb/xgb_trainers.h"

namespace hone::learn {

std::vector<const Trainer*> AllTrainers() {
  return {&RandomForestTrainer(), &GbdtTrainer(), &LinearTrainer()};
}

Result<const Trainer*> FindTrainer(std::string_view name) {
  std::string known;
  for (const Trainer* t : AllTrainers()) {
    if (t->name() == name) return t;
    known += (known.empty() ? "" : ", ") + std::string(t->name());
  }
  return Fail(ErrorCode::kInvalidArgument,
              "unknown model '" + std::string(name) + "'; known: " + known);
}

}  // namespace hone::learn
