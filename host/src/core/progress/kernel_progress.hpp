// A kernel's progress on stderr: the sdk::ProgressSink the host puts in a KernelRequest (or
// FamilyRequest), drawing a Reporter in percent (the SDK reports fractions, not counts).
//
//   core::progress::KernelProgress progress("A:kernel(): 5000 x 5000 NTK");
//   request.progress = &progress;
//   sdk::Kernels k = arch.kernels(a, b, request);
//   progress.finish();  // the summary line, when the bar was shown
#pragma once

#include <string>

#include "core/progress/reporter.hpp"
#include "ntk/sdk/progress.hpp"

namespace ntk::core::progress {

class KernelProgress : public sdk::ProgressSink {
 public:
  // On stderr (Reporter::on_stderr): silent when progress is switched off.
  explicit KernelProgress(std::string title);
  KernelProgress(std::string title, std::ostream* out, const Style& style, Clock clock);

  void progress(double fraction) override;
  void finish();

  // The resolution of the fractions shown: per mille.
  static constexpr double kUnits = 1000;

 private:
  Reporter reporter_;
};

// "A:kernel(): 5000 x 3000 NTK" — the title of a kernel between n1 and n2 examples.
std::string kernel_title(const std::string& caller, std::size_t n1, std::size_t n2,
                         bool nngp, bool ntk);

}  // namespace ntk::core::progress
