// Progress of a long kernel computation, from the SDK's kernel engines to whoever asked.
//
// The host draws a progress bar for kernels that take a while (a 10⁴ × 10⁴ convolutional
// NTK takes minutes). Plugins are shared libraries with their own copy of the SDK's static
// code, so a global "current progress callback" in the SDK would exist once per plugin and
// once in the host; the sink therefore travels with the call, in KernelRequest::progress and
// FamilyRequest::progress (null: nobody listens, nothing is reported).
#pragma once

namespace ntk::sdk {

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // `fraction` of the work is done, in [0, 1]. The engines call it on the thread that called
  // kernels() (never from several threads at once), with non-decreasing fractions, and at the
  // end with exactly 1 when the computation completed. A plugin that computes its kernels by
  // other means may call it the same way, or not at all.
  virtual void progress(double fraction) = 0;
};

}  // namespace ntk::sdk
