# The pure parts of `hone watch`: trigger evaluation (triggers.cc, on
# core/cron.h's schedules), the loop state and its JSON form (loop_state.cc), the judgement of a release on
# live evidence (release_judge.cc) and the release policy Decide (policy.cc, policy_spec.cc).
list(APPEND HONE_LOOP_SOURCES triggers.cc loop_state.cc release_judge.cc
     policy.cc policy_spec.cc)
list(APPEND HONE_LOOP_TESTS triggers_test.cc loop_state_test.cc release_judge_test.cc
     policy_test.cc policy_release_test.cc policy_spec_test.cc)
