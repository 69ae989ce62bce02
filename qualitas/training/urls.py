"""Training pages beyond the generic record ones (/training/…)."""

from django.urls import URLPattern, URLResolver, path

from qualitas.training import (
    course_views,
    curriculum_views,
    effectiveness_views,
    matrix_views,
    my_views,
    quiz_views,
    skills_views,
    transcript,
)

app_name = "training"

urlpatterns: list[URLPattern | URLResolver] = [
    path("matrix/", matrix_views.training_matrix, name="matrix"),
    path("my/", my_views.my_training, name="my_training"),
    # Courses, curricula and job roles; a person's transcript.
    path("courses/", course_views.CourseListView.as_view(), name="course_list"),
    path("courses/new/", course_views.CourseCreateView.as_view(), name="course_create"),
    path("courses/<int:pk>/", course_views.course_detail, name="course_detail"),
    path("courses/<int:pk>/edit/", course_views.CourseEditView.as_view(), name="course_edit"),
    # A course's quiz (coordinators); the quiz of a training record (the trainee).
    path("courses/<int:pk>/quiz/", quiz_views.course_quiz, name="course_quiz"),
    path(
        "courses/<int:pk>/quiz/pass-mark/",
        quiz_views.PassMarkView.as_view(),
        name="quiz_pass_mark",
    ),
    path(
        "courses/<int:pk>/quiz/questions/new/",
        quiz_views.QuestionAddView.as_view(),
        name="quiz_question_add",
    ),
    path(
        "courses/<int:pk>/quiz/questions/<int:question>/edit/",
        quiz_views.QuestionEditView.as_view(),
        name="quiz_question_edit",
    ),
    path(
        "courses/<int:pk>/quiz/questions/<int:question>/retire/",
        quiz_views.retire_question,
        name="quiz_question_retire",
    ),
    path("records/<int:record_id>/quiz/", quiz_views.take_quiz, name="quiz_take"),
    path(
        "records/<int:record_id>/quiz/attempts/<int:attempt_id>/",
        quiz_views.attempt_result,
        name="quiz_attempt",
    ),
    path("curricula/", curriculum_views.curricula, name="curricula"),
    path(
        "curricula/new/",
        curriculum_views.RequirementCreateView.as_view(),
        name="requirement_create",
    ),
    path(
        "curricula/<int:pk>/retire/",
        curriculum_views.RequirementRetireView.as_view(),
        name="requirement_retire",
    ),
    path("job-roles/new/", curriculum_views.JobRoleCreateView.as_view(), name="job_role_create"),
    path("job-roles/<int:pk>/", curriculum_views.job_role_detail, name="job_role_detail"),
    path(
        "job-roles/<int:pk>/members/",
        curriculum_views.MembersView.as_view(),
        name="job_role_members",
    ),
    path("people/<int:pk>/transcript/", transcript.transcript_view, name="transcript"),
    # Skills and competency levels; effectiveness follow-ups.
    path("skills/", skills_views.skill_list, name="skills"),
    path("skills/new/", skills_views.SkillCreateView.as_view(), name="skill_create"),
    path("skills/matrix/", skills_views.skills_matrix, name="skills_matrix"),
    path("skills/<int:pk>/", skills_views.skill_detail, name="skill_detail"),
    path("skills/<int:pk>/edit/", skills_views.SkillEditView.as_view(), name="skill_edit"),
    path("skills/<int:pk>/require/", skills_views.RequireLevelView.as_view(), name="skill_require"),
    path(
        "skills/<int:pk>/levels/<int:requirement>/withdraw/",
        skills_views.withdraw_level,
        name="skill_withdraw_level",
    ),
    path("skills/<int:pk>/assess/", skills_views.AssessView.as_view(), name="skill_assess"),
    path("effectiveness/", effectiveness_views.follow_ups, name="effectiveness"),
    path(
        "effectiveness/<int:pk>/rate/",
        effectiveness_views.RateView.as_view(),
        name="effectiveness_rate",
    ),
]
