#include "client/cli/progress_bar.h"

#include <string>

namespace metricdb {

ProgressBar::ProgressBar(int64_t total, const char* unit, bool enabled, FILE* out)
    : total_(total > 0 ? total : 1),
      unit_(unit),
      enabled_(enabled),
      out_(out),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ProgressBar::Update(int64_t done) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(done);
}

void ProgressBar::Finish(int64_t done) {
  if (!enabled_) return;
  Draw(done);
  std::fputc('\n', out_);
  std::fflush(out_);
}

void ProgressBar::Draw(int64_t done) {
  constexpr int kWidth = 30;
  const double fraction = double(done) / double(total_);
  const int filled = int(fraction * kWidth);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = seconds > 0 ? done / seconds : 0;
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '-');
  std::fprintf(out_, "\r[%s] %3d%%  %lld/%lld  %.0f %s/s ", bar.c_str(), int(fraction * 100),
               (long long)done, (long long)total_, rate, unit_);
  std::fflush(out_);
}

}  // namespace metricdb
