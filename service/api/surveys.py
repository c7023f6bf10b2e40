"""Survey answers from the customer's browser or a channel connector: ``POST /api/v1/surveys/{token}``."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from service.models import Survey
from service.services import surveys
from shopops.common.api import ClientAPIView, JSONInputSerializer

ANSWER_DESCRIPTION = """Record a customer's answer to a CSAT (ticket, 1-5) or NPS (order, 0-10) survey.
The token is the survey's secret, as in the link sent to the customer (`/survey/{token}/`).

- **200**: the survey with its answer.
- **400**: field errors: `score` missing or out of the survey's range (CSAT 1-5, NPS 0-10), `comment`
  longer than 2000 characters.
- **404**: no survey with this token.
- **409**: `{"detail", "code"}` with `code` `answered` (a survey is answered once) or `expired` (14 days
  after it was sent).
"""


class AnswerInSerializer(JSONInputSerializer):
    score = serializers.IntegerField(help_text="CSAT 1-5, NPS 0-10.")
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=surveys.COMMENT_MAX_LENGTH
    )


class SurveyOutSerializer(serializers.ModelSerializer):
    class Meta:
        model = Survey
        fields = ["token", "kind", "score", "comment", "created_at", "expires_at", "answered_at"]


_Refusal = inline_serializer(
    name="SurveyClosed",
    fields={"detail": serializers.CharField(), "code": serializers.ChoiceField(["answered", "expired"])},
)


class SurveyAnswerView(ClientAPIView):
    required_scope = "service:write"
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="survey_answer",
        tags=["service"],
        summary="Answer a CSAT or NPS survey",
        description=ANSWER_DESCRIPTION,
        request=AnswerInSerializer,
        responses={
            200: SurveyOutSerializer,
            400: OpenApiResponse(
                description="Field errors",
                examples=[
                    OpenApiExample(
                        "Out of range",
                        value={"score": ["Give a whole number from 0 to 10."]},
                        response_only=True,
                        status_codes=["400"],
                    )
                ],
            ),
            404: OpenApiResponse(description="No survey with this token"),
            409: OpenApiResponse(
                response=_Refusal,
                description="Already answered, or expired",
                examples=[
                    OpenApiExample(
                        "Answered",
                        value={
                            "detail": "This survey has already been answered. Thank you!",
                            "code": "answered",
                        },
                        response_only=True,
                        status_codes=["409"],
                    )
                ],
            ),
        },
        examples=[
            OpenApiExample("NPS", value={"score": 9, "comment": "发货很快"}, request_only=True),
        ],
    )
    def post(self, request, token: str):
        if not isinstance(request.data, dict):
            return Response({"non_field_errors": ["Send a JSON object."]}, status=400)
        form = AnswerInSerializer(data=request.data)
        if not form.is_valid():
            return Response(form.errors, status=400)
        try:
            survey = surveys.survey_answer(
                token=token, score=form.validated_data["score"], comment=form.validated_data["comment"]
            )
        except surveys.SurveyNotFound:
            return Response({"detail": "No survey with this token."}, status=404)
        except surveys.SurveyClosed as closed:
            return Response({"detail": closed.detail, "code": closed.code}, status=409)
        except ValidationError as exc:
            return Response(exc.message_dict, status=400)
        return Response(SurveyOutSerializer(survey).data, status=200)
