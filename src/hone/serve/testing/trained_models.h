// Small models trained in the test process, and a Loader that serves them, for tests of the
// serving path that need real models but not a store.
#ifndef HONE_SERVE_TESTING_TRAINED_MODELS_H_
#define HONE_SERVE_TESTING_TRAINED_MODELS_H_

#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "hone/core/csv.h"
#include "hone/core/random.h"
#include "hone/learn/bundle.h"
#include "hone/learn/training.h"
#include "hone/serve/model_manager.h"

namespace hone::serve::testing {

/// CSV text: size (numeric), district (north/south/east), rooms (numeric, some missing),
/// price (regression target) and churn (yes/no).
inline std::string HousesCsv(size_t rows, uint64_t seed) {
  core::Rng rng(seed);
  const char* districts[] = {"north", "south", "east"};
  std::string csv = "size,district,rooms,price,churn\n";
  for (size_t i = 0; i < rows; ++i) {
    const double size = 50 + rng.Uniform() * 150;
    const size_t d = rng.Below(3);
    const int rooms = 1 + static_cast<int>(rng.Below(6));
    const double price = 100 * size +
                         (d == 1   ? 5000
                          : d == 2 ? -3000
                                   : 0) +
                         rooms * 700 + rng.Uniform() * 500;
    csv += std::to_string(size) + "," + districts[d] + "," +
           (i % 9 == 4 ? std::string() : std::to_string(rooms)) + "," + std::to_string(price) +
           "," + (size + rng.Uniform() * 60 > 140 ? "yes" : "no") + "\n";
  }
  return csv;
}

/// A bundle trained on HousesCsv: `target` "price" (regression) or "churn" (classification).
inline learn::Bundle TrainHouses(const std::string& target, const std::string& kind,
                                 uint64_t seed = 42) {
  auto table = core::ParseCsv(HousesCsv(400, seed), "houses.csv");
  if (!table) std::abort();
  learn::TrainRequest request;
  request.target = target;
  request.model = kind;
  request.test_size = 0;
  request.threads = 1;
  request.seed = seed;
  request.ignore = {target == "price" ? "churn" : "price"};
  request.params = {{"n_estimators", "20"}};
  auto outcome = learn::TrainOnTable(*table, request);
  if (!outcome) std::abort();
  return std::move(outcome->bundle);
}

/// Serves bundles held in memory; a version without a bundle fails to load.
class MemoryLoader : public Loader {
 public:
  void Add(const std::string& model, int64_t version, const learn::Bundle& bundle) {
    bytes_[{model, version}] = learn::EncodeBundle(bundle);
  }
  Result<std::shared_ptr<Servable>> Load(std::string_view model, int64_t version) override {
    auto it = bytes_.find({std::string(model), version});
    if (it == bytes_.end()) {
      return Fail(ErrorCode::kNotFound,
                  "no bundle for " + std::string(model) + "/" + std::to_string(version));
    }
    HONE_ASSIGN_OR_RETURN(auto loaded, learn::LoadBundleBytes(it->second, "memory"));
    auto servable = std::make_shared<Servable>();
    servable->model = std::string(model);
    servable->version = version;
    servable->loaded = std::move(loaded);
    return servable;
  }

 private:
  std::map<std::pair<std::string, int64_t>, std::string> bytes_;
};

}  // namespace hone::serve::testing

#endif  // HONE_SERVE_TESTING_TRAINED_MODELS_H_
