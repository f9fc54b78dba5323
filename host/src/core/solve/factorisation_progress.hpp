// A Cholesky factorisation's progress on stderr (issue 14: spotrf of a 60,000² float32 kernel
// takes minutes). The sink of cholesky_lower_blocked (blocked_cholesky.hpp), drawn by a
// core::progress::Reporter in per mille of the flops: nothing for a factorisation that ends
// within 2 s; after that a bar with ETA on a terminal, plain lines elsewhere, and one line at the
// end with the rate:
//   kernel_ridge_float32(): Cholesky of 60000 x 60000 float32 [######.....]  27%  0:58, ETA 2:37
//   kernel_ridge_float32(): Cholesky of 60000 x 60000 float32: done in 3:35; 335 GFLOP/s
// The ETA extrapolates the flop rate so far (the fraction is flop-weighted, not by columns).
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

#include "core/progress/reporter.hpp"
#include "ntk/sdk/progress.hpp"

namespace ntk::core::solve {

class FactorisationProgress : public sdk::ProgressSink {
 public:
  // On stderr; silent when progress is switched off (NTKLAB_PROGRESS=0, ntk.progress(false)).
  // `caller` starts the title ("kernel_ridge_float32()"), `precision` ends it ("float32").
  FactorisationProgress(const std::string& caller, std::size_t n, const std::string& precision);
  // On `out` (null: silent) with the given style and clock (tests).
  FactorisationProgress(const std::string& caller, std::size_t n, const std::string& precision,
                        std::ostream* out, const progress::Style& style, progress::Clock clock);

  void progress(double fraction) override;
  // The summary line with the GFLOP/s (n³/3 flops over the elapsed time), if anything was shown.
  void finish();
  bool silent() const { return reporter_.silent(); }

  static std::string title(const std::string& caller, std::size_t n, const std::string& precision);

 private:
  progress::Clock clock_;
  double n_, start_;
  progress::Reporter reporter_;
};

}  // namespace ntk::core::solve
