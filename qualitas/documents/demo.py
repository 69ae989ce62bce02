# The documents are prose with real typography: en dashes for ranges, multiplication signs.
# ruff: noqa: RUF001
"""Demo controlled documents for Aldermoor Precision: a quality system's documents, in every state.

The quality manual, policies, procedures, work instructions, forms, two specifications, a
drawing and an external standard, written in the app (Markdown; a drawing, a form, a standard
summary and a checklist are files). Most are effective; some carry superseded revisions (one
is at C), two have a revision in review (one with a reviewer's comment, one waiting for Ana
Costa's approval), two are drafts, one is approved for a date two weeks ahead, one was sent
back to draft and one is obsolete. Read-and-understood is partly signed (Jamal Okafor still has
reading to do), two periodic reviews are overdue and one was recorded.

Everything goes through the services, as the people of the demo company. No randomness: the
same documents and numbers every time. Loading is skipped when any document exists.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from qualitas.core import signatures, workflow
from qualitas.core.models import Department, Site, User
from qualitas.documents import services
from qualitas.documents.models import Document, DocumentRevision, DocumentType


@dataclass(frozen=True)
class Doc:
    """One demo document as first written; `{{key}}` in its text names another's number."""

    key: str
    kind: str  # DocumentType code
    title: str
    author: str
    owner: str
    department: str
    clauses: str
    text: str
    sites: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """A later revision: why, what changed, and the edits to the previous text."""

    reason: str
    summary: str
    edits: tuple[tuple[str, str], ...]


# --- The documents (created in this order, so each type numbers from 0001) --------------------

SCOPE_A = (
    "Manufacture of precision machined components for aerospace and industrial customers, and "
    "of implant components for orthopaedic medical devices, at Sheffield Works (SHF)."
)

DOCS = [
    Doc(
        "qm",
        "quality-manual",
        "Quality manual",
        "hmarsh",
        "hmarsh",
        "QA",
        "ISO 9001 4, 5, 6; ISO 13485 4.1, 4.2.2, 5",
        """# Quality manual

## 1 Purpose

This manual describes the quality management system (QMS) of Aldermoor Precision Ltd: what
the company does, the processes that make up the system, how they interact and where each
requirement of ISO 9001:2015 and ISO 13485:2016 is answered. It is the top document of the
system; the policies, procedures and work instructions below it give the detail.

## 2 Scope

"""
        + SCOPE_A
        + """

Exclusions (ISO 13485 1): 7.3 design and development is not applicable, because every part
is made to the customer's drawing and specification. Installation and servicing (7.5.3,
7.5.4) and the requirements for sterile devices (7.5.5, 7.5.7) are not applicable: implant
components are supplied non-sterile to the legal manufacturer. 7.5.9.2 (traceability of
implantable devices) applies to the implant component line only.

## 3 Organisation and responsibilities

- The Managing Director is top management: she sets the quality policy ({{pol-quality}}),
  provides resources and chairs the management review ({{sop-review}}).
- The Quality Manager is the management representative (ISO 13485 5.5.2): she keeps the QMS
  effective, reports on its performance and promotes awareness of customer and regulatory
  requirements.
- The Document Controller keeps the document register, the numbering and the periodic
  reviews ({{sop-documents}}).
- Heads of department own the processes of their department and the documents that describe
  them; every employee works to the effective revision of those documents.

## 4 Processes of the QMS

| Process | Owner | Main documents |
|---|---|---|
| Documents and records | Document Controller | {{sop-documents}}, {{sop-records}} |
| Purchasing and suppliers | Supply Chain Manager | {{sop-purchasing}}, {{sop-supplier}} |
| Production and inspection | Production Supervisor | {{sop-traceability}}, {{wi-fai}}, {{wi-cmm}} |
| Measuring equipment | Head of Engineering | {{sop-calibration}} |
| Nonconformance and CAPA | Quality Manager | {{sop-nc}}, {{sop-capa}} |
| Complaints and feedback | Quality Manager | {{sop-complaints}} |
| Change and risk | Head of Engineering | {{sop-change}}, {{sop-risk}} |
| Competence | Quality Manager | {{sop-training}} |
| Monitoring and review | Lead Internal Auditor | {{sop-audit}}, {{sop-review}} |

The processes interact through the customer order: contract review releases the order to
purchasing and production, inspection releases product, and the data from inspection,
nonconformances, complaints and audits feed corrective action and the management review.

## 5 Regulatory requirements

For the implant component line the company acts as a contract manufacturer to the legal
manufacturer. Device history records, traceability to the material heat and the clean-room
controls are kept as the quality agreement with each customer requires.

## 6 Control of this manual

This manual is reviewed every twelve months and after any change of scope, organisation or
certification. It is approved by the Head of Engineering and then by the Managing Director.
""",
    ),
    Doc(
        "pol-quality",
        "policy",
        "Quality policy",
        "hmarsh",
        "rmensah",
        "MGT",
        "ISO 9001 5.2; ISO 13485 5.3",
        """# Quality policy

Aldermoor Precision makes parts that other people's products depend on: aerospace brackets
and housings, industrial shafts, and components of orthopaedic implants that end up inside a
patient. Our customers trust us to make every part to the drawing, every time, and to tell
them at once when we have not.

## Our commitments

1. **Conforming product, first time.** We plan the work, prove the process with a first
   article and measure what matters, so that inspection confirms quality instead of sorting
   it in.
2. **Requirements met.** We meet our customers' requirements and the statutory and regulatory
   requirements that apply to our products, including ISO 13485 and the quality agreements of
   our medical-device customers.
3. **Honesty about problems.** Anyone may stop a job they believe is wrong. A nonconformance
   is recorded, contained and reported to the customer when it could affect them; nobody is
   blamed for raising one.
4. **Continual improvement.** We set measurable quality objectives every year, review them at
   the management review and act on causes, not symptoms.
5. **Competent people.** Everyone is trained for the work they do and understands how it
   affects the customer and, for the implant line, the patient.
6. **Secure information.** Customer drawings, data and the systems we build at Leeds Digital
   are protected as our information security policy ({{pol-infosec}}) sets out.

## Objectives for this year

- Customer-reported defects below 250 parts per million.
- On-time delivery at or above 97 %.
- Every CAPA effective at its first effectiveness check in 90 % of cases.
- Every internal audit in the programme completed in its planned month.

This policy is communicated to every employee at induction, displayed at both sites and
reviewed at each management review ({{sop-review}}) for continuing suitability.
""",
    ),
    Doc(
        "pol-infosec",
        "policy",
        "Information security policy",
        "elund",
        "spatel",
        "IT",
        "ISO 27001 5.2, A.5.1",
        """# Information security policy

## Purpose

Leeds Digital develops and runs the manufacturing execution system (MES) of Sheffield Works
and the customer portal through which customers send drawings and receive certificates. This
policy sets the direction for protecting the confidentiality, integrity and availability of
that information, as the information security management system (ISMS) of ISO 27001 requires.

## Scope

All information, systems and people of Leeds Digital, the MES servers at Sheffield Works, and
every supplier that processes customer data on our behalf.

## Principles

- **Risk-based.** Information assets are listed with their owners; risks are assessed every
  year and after any significant change, and treated in the statement of applicability.
- **Least privilege.** Access is granted by role, reviewed every quarter and removed on the
  day a person leaves or changes job.
- **Secure development.** Every change to the MES and the portal is peer reviewed, passes the
  automated test and security gates, and is released by the Software Release Manager. No
  release overrides a failed gate without written approval from Quality.
- **Customer data stays ours to protect.** Customer drawings are classified Confidential and
  are never copied to personal devices or unapproved cloud services.
- **Incidents are reported at once** to the IT Systems Administrator, logged and reviewed;
  those that affect customer data are reported to the customer within 24 hours.
- **Continuity.** Backups are tested every month; the MES recovery plan is exercised once a
  year with Production.

## Responsibilities

The IT Systems Administrator owns the ISMS and this policy. Every employee and contractor
must read this policy, follow it and report weaknesses they notice. Breaches are handled
through the disciplinary procedure.

## Review

This policy is reviewed at least every two years and at each management review
({{sop-review}}) where information security is on the agenda.
""",
        ("LDS",),
    ),
    Doc(
        "pol-supplier",
        "policy",
        "Supplier code of conduct",
        "mkowalski",
        "mkowalski",
        "SCM",
        "ISO 9001 8.4.3; ISO 13485 7.4.1",
        """# Supplier code of conduct

## Purpose

Aldermoor Precision buys bar stock, castings, fasteners, heat treatment, surface finishing
and calibration services. What our suppliers do becomes part of our product. This code states
what we expect of every supplier and subcontractor, in addition to the requirements of each
purchase order.

## Quality

- Work to the purchase order, the drawing and the specification revision stated on it.
- Provide a certificate of conformity with every delivery, and mill certificates traceable to
  the heat for all metallic material (see {{spec-bar}} for implant bar).
- Notify us in writing **before** changing a process, a sub-tier supplier, a material source
  or a manufacturing location for any part you make for us. For implant components, no such
  change may be made without our written approval.
- Tell us within one working day when you find that product already shipped to us may not
  conform.
- Give us, our customers and regulatory authorities access to your premises and records
  relevant to our orders.

## Ethics and people

- No forced, bonded or child labour; working hours and wages at least as the law requires.
- A safe workplace, with hazards assessed and controlled.
- No bribery, no facilitation payments, no gifts meant to influence a decision.
- Conflict minerals: declare the smelters of tin, tantalum, tungsten and gold in your products
  when asked.

## Environment and information

- Comply with environmental law; tell us about substances restricted under REACH and RoHS.
- Protect our drawings and data as Confidential; return or destroy them when the order ends.

## How this code is used

Compliance is part of supplier evaluation and re-evaluation ({{sop-supplier}}). A supplier
who cannot meet it tells us, and we agree a plan or find another source.
""",
    ),
    Doc(
        "pol-calibration",
        "policy",
        "Calibration policy",
        "pnair",
        "hmarsh",
        "QA",
        "ISO 9001 7.1.5; ISO 13485 7.6",
        """# Calibration policy

## Purpose

Measurements decide whether a part is accepted. This policy sets the principles for keeping
measuring and test equipment fit for that decision.

## Policy

1. Every instrument used to accept product is identified by a unique gauge number, listed in
   the gauge register and calibrated at a set interval against standards traceable to national
   or international standards (UKAS-accredited laboratories, or our own reference standards
   calibrated by them).
2. An instrument whose calibration is overdue, damaged or of unknown status is removed from
   use and labelled "Do not use".
3. When an instrument is found out of tolerance, the product measured with it since its last
   good calibration is assessed and the assessment recorded; a nonconformance is raised when
   product may be affected ({{sop-nc}}).
4. Calibration intervals start at twelve months and are shortened or lengthened from the
   history of each instrument, never beyond twenty-four months.
5. Measurement uncertainty is taken into account for any characteristic whose tolerance is
   smaller than four times the instrument's uncertainty.
6. Software used for measurement (CMM programs, the MES gauge interface) is validated before
   first use and after every change.

## Responsibilities

The Head of Engineering owns the gauge register and the calibration programme. Operators
check the calibration label before use and carry out the daily gauge checks their work
instructions require.

## Records

Calibration certificates, out-of-tolerance assessments and the gauge register are kept as
quality records ({{sop-records}}).
""",
    ),
    Doc(
        "sop-documents",
        "procedure",
        "Control of documents",
        "pnair",
        "pnair",
        "QA",
        "ISO 9001 7.5.2, 7.5.3; ISO 13485 4.2.4; 21 CFR 820.40",
        """# Control of documents

## 1 Purpose

To make sure that everyone works to the current, approved revision of every document the
quality management system needs, and that obsolete revisions cannot be used by mistake.

## 2 Scope

Every controlled document of both sites: the quality manual, policies, procedures, work
instructions, forms, specifications, drawings and external documents (standards and customer
specifications). Records are controlled by {{sop-records}}.

## 3 Responsibilities

- **Document Controller:** keeps the register in Qualitas, assigns numbers, checks each draft
  is complete before it is sent for review, and runs the periodic reviews.
- **Document owner:** keeps the content right, starts revisions and answers review comments.
- **Reviewers** check the content against practice; **approvers** sign it.

## 4 Procedure

1. A new document or revision is written as a draft in Qualitas by its author. The number is
   given by the system from the document type (QM, POL, SOP, WI, FRM, SPEC, DWG, EXT).
2. The author states the reason for change and, from the second revision, a summary of what
   changed, and chooses the reviewers and at least one approver. The author never approves
   their own revision.
3. The draft is sent for review. Reviewers comment or accept; once every reviewer has
   accepted, the approvers sign.
4. The revision becomes effective when the last approver has signed, or on its planned
   effective date. The previous revision is superseded at that moment and can only be read
   by those who may read history.
5. Revisions marked with a training impact must be read and acknowledged by the people
   concerned within 14 days.
6. Printed copies are uncontrolled: the footer of every printed page says so, with the
   revision and the date printed.
7. Documents are reviewed at the interval of their type (quality manual and external
   documents 12 months, procedures 24 months, forms and drawings 36 months). The reviewer
   either confirms no change is needed or starts a new revision.
8. A document no longer needed is withdrawn by document control with a reason; it stays in
   the register as obsolete.

## 5 Records

The register, the revision history, sign-offs, signatures and acknowledgements are kept in
Qualitas as quality records.
""",
    ),
    Doc(
        "sop-records",
        "procedure",
        "Control of records",
        "pnair",
        "pnair",
        "QA",
        "ISO 9001 7.5.3; ISO 13485 4.2.5; 21 CFR 820.180",
        """# Control of records

## 1 Purpose

To keep the records that prove conformity and the effective operation of the quality
management system legible, identifiable, retrievable and protected for as long as they are
needed.

## 2 Scope

All quality records, on paper or electronic: inspection results, device history records,
training records, calibration certificates, audit reports, nonconformance and CAPA records,
management review minutes and supplier records.

## 3 Responsibilities

The Document Controller keeps the records retention schedule. Each department head makes sure
the records of their processes are completed and filed as this procedure requires.

## 4 Procedure

1. Records are completed at the time the work is done, in ink or in the system, by the person
   who did the work. Entries are never written in advance or from memory.
2. Corrections on paper are made with a single line through the original entry, which stays
   legible, with the correct value, initials and date. Correction fluid is not used.
   Electronic records keep their change history in the audit trail.
3. Each record identifies the part number, lot or job, the document and revision worked to,
   and the person and date.
4. Paper records of a job travel with the traveller and are scanned into the job folder when
   the job is closed; the paper is kept for one year, the scan for the retention period.
5. Retention:
   - Implant components (device history records, material certificates): the lifetime of the
     device as stated by the customer, and at least 15 years from release.
   - Aerospace parts: 10 years from delivery, or longer if the customer's contract requires.
   - Other quality records: 7 years.
6. Records are protected from loss by the nightly backup of the servers at Leeds Digital
   ({{pol-infosec}}); paper records are kept in the fire-resistant archive at Sheffield.
7. At the end of the retention period, records are destroyed with the Quality Manager's
   agreement, and the destruction is itself recorded.

## 5 Related documents

{{sop-documents}} Control of documents; {{frm-training}} Training record.
""",
    ),
    Doc(
        "sop-audit",
        "procedure",
        "Internal audit",
        "pnair",
        "tbecker",
        "QA",
        "ISO 9001 9.2; ISO 13485 8.2.4; ISO 27001 9.2",
        """# Internal audit

## 1 Purpose

To find out, at planned intervals, whether the quality management system conforms to the
company's own requirements and to ISO 9001, ISO 13485 and ISO 27001, and whether it is
effectively implemented and maintained.

## 2 Responsibilities

- **Lead Internal Auditor:** plans the programme, assigns auditors, reviews reports and
  follows findings to closure.
- **Auditors** are trained in auditing and never audit their own work.
- **Auditees** provide access and evidence and agree corrections and corrective actions.

## 3 Procedure

1. **Programme.** Every process in the quality manual ({{qm}}) is audited at least once a
   year; processes with poor results, many nonconformances or recent changes are audited more
   often. The programme is approved at the management review ({{sop-review}}).
2. **Plan.** For each audit the auditor issues a plan at least one week ahead: scope,
   criteria, dates, people to be interviewed.
3. **Conduct.** The auditor follows audit trails through the process (for example from a
   customer order to the released part), samples records and observes work on the floor.
4. **Findings** are graded:
   - *Major nonconformity:* a requirement is not met at all, or product conformity is at risk.
   - *Minor nonconformity:* an isolated lapse that does not put product at risk.
   - *Observation:* a risk or an opportunity for improvement.
5. **Report.** The report is issued within five working days of the closing meeting.
6. **Follow-up.** Each nonconformity gets a correction and, where the cause could recur, a
   CAPA ({{sop-capa}}). Majors are closed within 30 days, minors within 90 days; the auditor
   verifies the action before closing the finding.

## 4 Records

Audit programme, plans, reports, evidence samples and the verification of actions.
""",
    ),
    Doc(
        "sop-review",
        "procedure",
        "Management review",
        "hmarsh",
        "rmensah",
        "MGT",
        "ISO 9001 9.3; ISO 13485 5.6; ISO 27001 9.3",
        """# Management review

## 1 Purpose

To review, at planned intervals, whether the quality management system remains suitable,
adequate and effective, and to decide on improvements and resources.

## 2 Frequency and attendees

Twice a year (March and September), chaired by the Managing Director. Attendees: the Quality
Manager, the Head of Engineering, the Production Supervisor, the Supply Chain Manager, the IT
Systems Administrator and the Medical Line Quality Engineer.

## 3 Inputs

The Quality Manager prepares an input pack at least one week before the meeting, covering:

- actions from the previous review;
- changes in external and internal issues, regulations and customer requirements;
- customer feedback and complaints ({{sop-complaints}});
- quality objectives and the performance of processes (scrap, rework, on-time delivery);
- nonconformances and CAPA status ({{sop-nc}}, {{sop-capa}});
- internal and external audit results ({{sop-audit}});
- supplier performance ({{sop-supplier}});
- monitoring and measurement results, including process capability studies;
- the adequacy of resources, and risks and opportunities ({{sop-risk}});
- for the implant line: reports to regulatory authorities and new or revised regulations;
- information security performance for Leeds Digital.

## 4 Outputs

Minutes record decisions and actions on:

- improvements to the QMS and its processes;
- improvements to product related to customer requirements;
- changes to the quality policy and objectives;
- resources needed.

Each action has an owner and a due date and is tracked in Qualitas until it is done.

## 5 Records

Input pack, minutes and action list, kept as quality records ({{sop-records}}).
""",
    ),
    Doc(
        "sop-nc",
        "procedure",
        "Control of nonconforming product",
        "hmarsh",
        "hmarsh",
        "QA",
        "ISO 9001 8.7; ISO 13485 8.3",
        """# Control of nonconforming product

## 1 Purpose

To make sure that product which does not conform to requirements is identified and
controlled to prevent its unintended use or delivery.

## 2 Scope

Material, parts and assemblies at any stage: receiving, in process, final inspection, and
product returned by customers. Software defects found at Leeds Digital follow the same path.

## 3 Procedure

1. **Identify.** Whoever finds a suspect part stops, labels it and the rest of the lot as
   described in {{wi-nc-label}}, and moves it to the quarantine area.
2. **Record.** A nonconformance (NC) is raised in Qualitas the same shift, stating the part,
   lot, quantity, the requirement not met and what was found.
3. **Contain.** The NC owner checks other lots, work in progress and stock that could have
   the same problem, and holds them. If product may have been delivered, the Quality Manager
   decides on customer notification within one working day.
4. **Review and disposition.** Quality reviews the NC with Engineering and decides:
   rework (to the drawing, with a documented method), repair, use as is, return to supplier,
   or scrap.
5. **Carry out.** The disposition is carried out and the product re-inspected.
6. **Close.** Quality verifies the disposition and closes the NC. Recurring or serious
   problems are escalated to CAPA ({{sop-capa}}).

For implant components, use as is and repair are never decided without the customer's written
concession.

## 4 Records

NC records with disposition, approvals, concessions, costs and re-inspection results.
""",
    ),
    Doc(
        "sop-capa",
        "procedure",
        "Corrective and preventive action",
        "hmarsh",
        "hmarsh",
        "QA",
        "ISO 9001 10.2; ISO 13485 8.5.2, 8.5.3",
        """# Corrective and preventive action

## 1 Purpose

To eliminate the causes of nonconformities (corrective action) and of potential
nonconformities (preventive action) so that they do not occur or recur.

## 2 When a CAPA is opened

- A major nonconformity from an internal or external audit ({{sop-audit}}).
- A customer complaint where the company is at fault ({{sop-complaints}}).
- A critical nonconformance, or the same defect code on the same part three times in 90 days
  ({{sop-nc}}).
- A trend from process capability or supplier data, or a risk identified under {{sop-risk}}
  (preventive).

## 3 Procedure (8D path)

1. **Team.** The Quality Manager opens the CAPA in Qualitas and names an owner and a team
   including the process owner and Engineering.
2. **Describe the problem** with is / is-not: which parts, lots, machines and shifts are
   affected and which are not.
3. **Contain.** Confirm that containment is in place and effective.
4. **Root cause.** Use 5-whys and a fishbone (man, machine, method, material, measurement,
   environment). The root cause must explain the is / is-not facts.
5. **Plan** corrective actions with owners and due dates; the plan is approved by signature
   before work starts.
6. **Implement** the actions, including changes to documents through {{sop-documents}} and to
   processes through {{sop-change}}.
7. **Verify effectiveness** against criteria set when the plan was approved.
8. **Close** by signature of the Quality Manager.

## 4 Records

The CAPA record with its analysis, plan, approvals, evidence of implementation and
effectiveness check.
""",
    ),
    Doc(
        "sop-supplier",
        "procedure",
        "Supplier evaluation and monitoring",
        "mkowalski",
        "mkowalski",
        "SCM",
        "ISO 9001 8.4.1; ISO 13485 7.4.1",
        """# Supplier evaluation and monitoring

## 1 Purpose

To choose suppliers able to meet our requirements, to monitor their performance and to act
when they do not.

## 2 Scope

Suppliers of material, parts, processes (heat treatment, plating, passivation), calibration
and software services that affect product quality. Office supplies are excluded.

## 3 Evaluation of a new supplier

1. The Supply Chain Manager classifies the supplier:
   - **Class A:** implant material or processes, aerospace special processes.
   - **Class B:** other product material, machining subcontract, calibration.
   - **Class C:** consumables that can be fully checked at receipt.
2. Class A suppliers need a completed questionnaire, certification (ISO 13485, AS9100 or
   Nadcap as relevant), an on-site or remote audit and a successful first article.
3. Class B suppliers need a questionnaire and ISO 9001 certification or a first article.
4. Class C suppliers are approved on the first satisfactory delivery.
5. Every supplier must accept the supplier code of conduct ({{pol-supplier}}).
6. Approval is recorded in the approved supplier list with its scope and class.

## 4 Monitoring

Each month the supplier scorecard is calculated from receiving inspection ({{wi-receiving}})
and purchasing ({{sop-purchasing}}):

| Measure | Target |
|---|---|
| Lots accepted at receiving | ≥ 98 % |
| Deliveries on time (± 2 days) | ≥ 95 % |
| Responses to corrective action requests within 30 days | 100 % |

A supplier below target for two consecutive months receives a supplier corrective action
request; a Class A supplier below target is re-audited.

## 5 Records

Questionnaires, audit reports, the approved supplier list and scorecards.
""",
    ),
    Doc(
        "sop-calibration",
        "procedure",
        "Calibration and control of measuring equipment",
        "pnair",
        "acosta",
        "ENG",
        "ISO 9001 7.1.5; ISO 13485 7.6",
        """# Calibration and control of measuring equipment

## 1 Purpose

To make sure that measuring and test equipment used to accept product gives valid results.

## 2 Scope

Hand gauges, micrometers, callipers, bore gauges, thread gauges, height gauges, coordinate
measuring machines (CMM), torque tools and the surface roughness tester, at Sheffield Works.

## 3 Procedure

1. **Register.** Every instrument gets a gauge number (G-nnnn) engraved or labelled, and an
   entry in the gauge register: description, range, resolution, location, interval and the
   date of its next calibration.
2. **Calibration.** Instruments are calibrated by a UKAS-accredited laboratory, or in house
   against reference standards that are themselves calibrated by such a laboratory. In-house
   calibration follows the method in the gauge register entry.
3. **Status.** A calibration label shows the gauge number and the due date. Operators check
   it before use.
4. **Daily check.** Gauges used on the line are checked at the start of each shift with a
   setting master as {{wi-gauge}} describes, and the result logged on {{frm-gauge-log}}.
5. **Out of tolerance.** An instrument found out of tolerance is quarantined. Engineering
   assesses the product measured since the last good calibration, and raises a
   nonconformance ({{sop-nc}}) when product may be affected.
6. **CMM.** The CMMs are verified to ISO 10360-2 every year and with the ball-bar every month;
   programs follow {{wi-cmm}}.
7. **Handling and storage.** Instruments are kept in their cases, away from coolant and swarf.

## 4 Records

Gauge register, calibration certificates, daily check logs and out-of-tolerance assessments.
""",
    ),
    Doc(
        "sop-training",
        "procedure",
        "Training and competence",
        "pnair",
        "hmarsh",
        "QA",
        "ISO 9001 7.2, 7.3; ISO 13485 6.2",
        """# Training and competence

## 1 Purpose

To make sure that everyone whose work affects product quality is competent, on the basis of
education, training, skills and experience, and aware of the relevance of their work.

## 2 Responsibilities

Department heads define the competence each job needs and plan training. The Quality Manager
keeps the skills matrix and evaluates the effectiveness of training.

## 3 Procedure

1. **Job requirements.** Each job description lists the competences needed; the skills matrix
   shows who holds them, at level 1 (under supervision), 2 (works alone) or 3 (can train
   others).
2. **Induction.** Every new employee receives induction in the quality policy
   ({{pol-quality}}), health and safety, information security ({{pol-infosec}}) and the
   documents of their department.
3. **On-the-job training** is given by a level 3 person against the work instruction and
   recorded on {{frm-training}}. An operator signs off a work instruction only after
   producing conforming parts under observation.
4. **Read and understood.** When a revision of a document has a training impact, the people
   concerned are asked in Qualitas to read and acknowledge it within 14 days. The supervisor
   follows up overdue acknowledgements.
5. **Special skills.** Clean-room work ({{wi-gowning}}), CMM programming and first-article
   inspection need a practical assessment before level 2 is granted.
6. **Effectiveness.** Training effectiveness is checked by observation or by a short test,
   and through the nonconformance data.

## 4 Records

Skills matrix, training records, acknowledgements and assessments.
""",
    ),
    Doc(
        "sop-complaints",
        "procedure",
        "Customer complaints and feedback",
        "dfischer",
        "hmarsh",
        "QA",
        "ISO 9001 9.1.2; ISO 13485 8.2.1, 8.2.2, 8.2.3",
        """# Customer complaints and feedback

## 1 Purpose

To receive, record, investigate and answer customer complaints promptly, and to use customer
feedback to improve.

## 2 Definitions

**Complaint:** any written, electronic or oral communication that alleges deficiencies of a
delivered part related to its identity, quality, durability, reliability, safety or
performance.

## 3 Procedure

1. **Receive.** Whoever receives a complaint passes it to Quality the same day. Quality
   records it in Qualitas with the customer, part, lot, quantity and what is alleged.
2. **Acknowledge** the complaint to the customer within two working days.
3. **Assess reportability.** For implant components, the Medical Line Quality Engineer
   decides within one working day whether the complaint may relate to an event the legal
   manufacturer must report to a regulatory authority, and informs the customer at once if so.
4. **Investigate.** Returned parts are quarantined and examined; the device history record and
   the inspection data of the lot are reviewed. A nonconformance is raised for confirmed
   defects ({{sop-nc}}).
5. **Decide on CAPA.** A complaint where Aldermoor is at fault opens a CAPA ({{sop-capa}});
   the decision not to open one is justified in the record.
6. **Answer** the customer with the findings and actions, within 30 days or as the quality
   agreement requires.
7. **Close** the complaint when the answer is sent and the actions are tracked.

## 4 Feedback and trends

Complaints per customer and per part, customer scorecards and survey results are reviewed
each month and at the management review ({{sop-review}}).

## 5 Records

Complaint record, investigation, correspondence with the customer, and the reportability
decision.
""",
    ),
    Doc(
        "sop-change",
        "procedure",
        "Change control",
        "acosta",
        "acosta",
        "ENG",
        "ISO 9001 6.3, 8.5.6; ISO 13485 7.5.6, 4.1.4",
        """# Change control

## 1 Purpose

To plan, assess, approve and record changes to products, processes, equipment, materials,
suppliers and software so that their effects are understood before they are made.

## 2 Scope

Changes that could affect the conformity of product: machining programs, fixtures, tooling
strategy, process parameters, inspection methods, material or supplier changes, layout moves
of equipment, and releases of the MES.

## 3 Procedure

1. **Request.** Anyone may request a change in Qualitas, describing what, why and which parts
   and customers are affected.
2. **Classify.** Engineering classifies the change:
   - *Minor:* no effect on form, fit, function or the validated state (e.g. a tool holder of
     the same specification).
   - *Major:* may affect conformity, a validated process or a customer requirement.
3. **Assess.** For a major change, Engineering and Quality assess the risks ({{sop-risk}}),
   the documents to revise, the training needed, and whether the customer must approve the
   change before it is made (always for implant components, and when the customer's
   contract says so).
4. **Approve.** Major changes are approved by the Head of Engineering and the Quality Manager.
5. **Implement** the change with the revised documents effective ({{sop-documents}}) and the
   people trained ({{sop-training}}).
6. **Verify.** The first parts after the change are inspected as a first article ({{wi-fai}}).
7. **Close** the change when verification is complete.

## 4 Records

Change request, classification, risk assessment, approvals, customer approval and
verification.
""",
    ),
    Doc(
        "sop-risk",
        "procedure",
        "Risk management",
        "dfischer",
        "dfischer",
        "MED",
        "ISO 9001 6.1; ISO 13485 4.1.2, 7.1; ISO 14971",
        """# Risk management

## 1 Purpose

To identify, evaluate and control risks to product quality and, for implant components, the
manufacturing-related hazards that could harm a patient, as ISO 13485 and ISO 14971 require of
a contract manufacturer.

## 2 Scope

The QMS processes of both sites (business risks and opportunities) and the processes of the
implant component line (process FMEA).

## 3 Procedure

1. **Process FMEA.** For each implant component, Engineering and the Medical Line Quality
   Engineer list the process steps, the ways each can fail, the effect on the part and on the
   patient, and the causes.
2. **Rate** each failure mode for severity (S), occurrence (O) and detection (D) on the 1–10
   scales of the risk matrix. Severity of patient harm is taken from the legal manufacturer's
   risk file.
3. **Act.** Every failure mode with S ≥ 9, or with an action priority of "high", needs a
   control that reduces occurrence or improves detection. Controls are verified and the
   ratings re-assessed.
4. **Risk-based decisions.** The level of validation, the sampling at inspection and the
   supplier controls are proportionate to the risk recorded here.
5. **Review.** FMEAs are reviewed after any change ({{sop-change}}), any complaint or
   nonconformance involving the failure mode, and at least every two years.
6. **QMS risks.** Risks and opportunities of the business are recorded in the risk register
   and reviewed at the management review ({{sop-review}}).

## 4 Records

Process FMEAs, the risk register and the evidence of risk controls.

*Draft: the detection scale and the link to the customers' risk files are still being agreed.*
""",
        ("SHF",),
    ),
    Doc(
        "sop-purchasing",
        "procedure",
        "Purchasing",
        "mkowalski",
        "mkowalski",
        "SCM",
        "ISO 9001 8.4.2, 8.4.3; ISO 13485 7.4.2, 7.4.3",
        """# Purchasing

## 1 Purpose

To make sure purchased product and services conform to the specified requirements.

## 2 Procedure

1. **Requisition.** Production planning raises a purchase requisition from the MES when an
   order needs material or a subcontract process. The requisition states the part number,
   drawing and revision, material specification, quantity and date needed.
2. **Supplier.** The buyer chooses a supplier from the approved supplier list whose approval
   covers the item ({{sop-supplier}}). An unapproved supplier may only be used with the
   Quality Manager's written agreement and a full inspection at receipt.
3. **Purchase order.** The purchase order states, as applicable:
   - part number, drawing and revision, material and specification (e.g. {{spec-bar}});
   - required certificates (certificate of conformity, mill certificate, test reports);
   - special process approvals and the requirement to notify changes ({{pol-supplier}});
   - quality agreement reference for implant material and processes;
   - the right of access for Aldermoor, its customers and regulatory authorities.
4. **Review.** Orders for Class A items are reviewed by Quality before they are sent.
5. **Verification.** Purchased product is inspected at receipt as {{wi-receiving}} describes,
   and released to stock only when it has passed.
6. **Changes.** Changes to an order are made by a revised purchase order; verbal changes are
   not accepted.

## 3 Records

Requisitions, purchase orders and their revisions, certificates and receiving inspection
results, kept with the order.
""",
    ),
    Doc(
        "sop-traceability",
        "procedure",
        "Product identification and traceability",
        "jokafor",
        "jokafor",
        "OPS",
        "ISO 9001 8.5.2; ISO 13485 7.5.8, 7.5.9",
        """# Product identification and traceability

## 1 Purpose

To identify product and its inspection status throughout production, and to trace every part
back to its material and the records of its manufacture.

## 2 Procedure

1. **Job and traveller.** Each production order is a job in the MES with a traveller that
   moves with the parts. The traveller shows the part number, drawing revision, job number,
   quantity and the operations with their work instructions.
2. **Material.** Bar and castings are issued to a job by heat or cast number; the MES links
   the job to the material certificate. Offcuts keep their heat number label.
3. **Identification in process.** Parts are kept in labelled containers that show the job
   number. Parts of different jobs are never mixed in one container.
4. **Inspection status.** Status is shown by the traveller sign-off and by location: parts
   waiting for inspection stay on the machine's outgoing rack; accepted parts go to the
   finished-goods cage; suspect parts are labelled as {{wi-nc-label}} describes and moved to
   quarantine.
5. **Marking.** Parts are marked as the drawing requires (laser or dot-peen with part number,
   job and, for implant components, the lot number used in the device history record).
6. **Implant components.** Each lot has a device history record that records the material
   heat, the machines, the operators, the inspection results, passivation ({{wi-passivation}})
   and the packaging labels. Traceability must work in both directions within four hours.
7. **Mock recall.** Once a year Quality picks a shipped lot and traces it back to the heat and
   forward to the customer; the result is reported at the management review.

## 3 Records

Travellers, MES job history, device history records, and mock-recall reports.
""",
        ("SHF",),
    ),
    Doc(
        "wi-cmm",
        "work-instruction",
        "CMM measurement",
        "jokafor",
        "acosta",
        "ENG",
        "ISO 9001 7.1.5, 8.6",
        """# CMM measurement

## Purpose

Measuring machined parts on the Zeiss and Mitutoyo coordinate measuring machines in the
inspection room, using released CMM programs.

## Before you start

- The CMM room must be at 20 ± 1 °C. Check the thermometer; if it is outside the range, do not
  measure and tell the inspection lead.
- Parts must soak in the room for at least 60 minutes (2 hours for parts over 5 kg).
- Check the CMM's calibration label and that the monthly ball-bar check is in date
  ({{sop-calibration}}).

## Steps

1. Clean the part with lint-free wipes and isopropyl alcohol. Remove any burr or swarf; never
   measure a dirty part.
2. Select the program for the part number **and drawing revision** in the program library.
   Programs in the "development" folder must never be used to accept parts.
3. Qualify the stylus system at the start of the shift and after any crash or stylus change.
   Reject a qualification with a standard deviation above 0.002 mm.
4. Fit the part in the fixture stated in the program header, with the datum faces clean.
5. Run the program. Watch the first run of each job; stop the machine at once if the probe path
   looks wrong.
6. Review the report: any characteristic out of tolerance is marked red. Re-measure once after
   re-cleaning; if it is still out, the part is nonconforming ({{sop-nc}}).
7. Save the report to the job in the MES. Sign the traveller.

## Records

CMM reports saved to the job; stylus qualification results in the CMM log.
""",
        ("SHF",),
    ),
    Doc(
        "wi-fai",
        "work-instruction",
        "First-article inspection",
        "jokafor",
        "jokafor",
        "OPS",
        "ISO 9001 8.5.1, 8.6; AS9102",
        """# First-article inspection

## Purpose

Proving that a new or changed manufacturing process makes a part that meets every requirement
of the drawing before production continues.

## When

- The first production of a new part number or a new drawing revision.
- After a change of machine, program, fixture, material source or supplier of a special
  process ({{sop-change}}).
- When a part has not been made for two years.

## Steps

1. The setter makes the first part and stops the machine.
2. The inspector takes the drawing at the revision on the traveller and balloons every
   characteristic: dimensions, tolerances, notes, surface finish, marking and material.
3. Each ballooned characteristic is measured with a calibrated instrument or on the CMM
   ({{wi-cmm}}) and the result recorded on the first-article inspection report
   ({{frm-fai}}), one line per balloon.
4. Material and special process certificates are checked against the drawing and the
   purchase order, and their numbers recorded on the report.
5. If every characteristic conforms, the inspector signs the report and production may
   continue. If not, the setter corrects the process and a new first part is inspected in
   full; partial first articles are not accepted.
6. For implant components, the Medical Line Quality Engineer reviews and countersigns the
   report and files it in the device history record.

## Records

The first-article inspection report with the ballooned drawing, kept with the job. For the
housing HSG-4471 see drawing {{dwg-housing}}.
""",
        ("SHF",),
    ),
    Doc(
        "wi-passivation",
        "work-instruction",
        "Passivation of stainless steel implant components",
        "dfischer",
        "dfischer",
        "MED",
        "ISO 13485 7.5.6; ASTM A967; ASTM F86",
        """# Passivation of stainless steel implant components

## Purpose

Passivating 316LVM implant components in nitric acid to remove free iron and restore the
passive layer, as the specification of each part requires. Passivation is a special process:
its result cannot be fully verified afterwards, so the parameters must be followed exactly.

## Safety

Wear the face shield, acid gloves and apron. The fume extraction must be running. Never add
water to acid.

## Before you start

- The bath log must show today's concentration check: nitric acid 20–25 % v/v. Titrate the
  bath once a day before first use and record the result.
- Bath temperature 49–60 °C.
- Parts must be cleaned and degreased (ultrasonic alkaline clean, rinse) no more than two hours
  before passivation.

## Steps

1. Load the parts in the passivation basket so that no two parts touch and no pockets trap
   air.
2. Immerse for 30 minutes (timer), agitating every 10 minutes.
3. Rinse in the first deionised water tank for 2 minutes, then in the second for 2 minutes.
   The rinse water conductivity must be below 10 µS/cm.
4. Dry with filtered compressed air and place the parts on clean trays.
5. Record the job, lot, bath temperature, times and rinse conductivity on the traveller.
6. Send one part per lot, or the witness coupon, for the humidity test (24 hours at 95 % RH,
   ASTM A967 Practice A) as {{spec-packaging}} and the customer specification require. The
   lot stays on hold until the test passes.

## Records

Bath log, traveller entries and humidity test results, filed in the device history record
({{sop-traceability}}).
""",
        ("SHF",),
    ),
    Doc(
        "wi-deburr",
        "work-instruction",
        "Deburring of machined parts",
        "jokafor",
        "jokafor",
        "OPS",
        "ISO 9001 8.5.1",
        """# Deburring of machined parts

Legacy number on the paper traveller: WI-0108.

## Purpose

Removing burrs and sharp edges from machined brackets, housings and nuts so that parts meet
the drawing note "break all sharp edges 0.1–0.3 mm" and are safe to handle.

## Equipment

Deburring bench with extraction, hand deburring tools (blade, countersink, scraper), abrasive
nylon brushes, the 10× magnifier, the edge-break comparison card.

## Steps

1. Take the parts from the machine's outgoing rack in their labelled container; check the job
   number against the traveller.
2. Deburr the edges listed on the traveller operation, working from internal features
   (bores, cross holes, threads) outwards. Use the countersink on hole edges, never a drill.
3. On threads, remove the part-turn of thread at each end and check with the thread gauge.
4. Brush the part with the nylon brush to remove loose burrs; blow out bores with filtered air.
5. Check every edge with the 10× magnifier against the comparison card. A raised burr, a
   rolled burr or a sharp edge is not acceptable.
6. Put the part in the clean container of the job.
7. Sign the traveller with the quantity deburred.

## Nonconforming parts

A part damaged while deburring (scratch, dent, edge break over 0.3 mm) is labelled as
{{wi-nc-label}} describes and reported to the supervisor.
""",
        ("SHF",),
    ),
    Doc(
        "wi-torque",
        "work-instruction",
        "Torque setting of threaded fasteners",
        "jokafor",
        "jokafor",
        "OPS",
        "ISO 9001 8.5.1",
        """# Torque setting of threaded fasteners

## Purpose

Tightening threaded fasteners on assemblies (housing covers, bracket studs) to the torque
stated on the assembly drawing, with a calibrated torque tool, and recording it.

## Equipment

Click-type torque wrenches and torque screwdrivers from the calibrated tool board, each with
a gauge number and calibration label ({{sop-calibration}}). The torque checker on the bench.

## Steps

1. Read the torque value and tolerance from the assembly drawing at the revision on the
   traveller. If no value is given, stop and ask Engineering: never use a "standard" torque.
2. Choose a tool whose range puts the required torque between 20 % and 100 % of its scale.
3. At the start of the shift, check the tool on the torque checker at the required value.
   The reading must be within ± 4 %. Record the check on {{frm-gauge-log}}.
4. Clean the threads; apply thread locker only if the drawing says so, and of the type stated.
5. Run the fastener down by hand, then tighten in one smooth pull until the wrench clicks.
   For patterns of four or more fasteners, tighten in a cross pattern in two stages: 50 %, then
   100 %.
6. Mark each tightened fastener with the torque-seal paint pen.
7. Return the wrench to its lowest setting after use.
8. Record the tool's gauge number and the torque on the traveller.

## Draft note

Torque values for the new titanium covers (CVR-0930) are waiting for the customer's drawing
revision C.
""",
        ("SHF",),
    ),
    Doc(
        "wi-nc-label",
        "work-instruction",
        "Labelling and segregation of nonconforming parts",
        "jokafor",
        "hmarsh",
        "QA",
        "ISO 9001 8.7.1; ISO 13485 8.3.1",
        """# Labelling and segregation of nonconforming parts

## Purpose

Making sure a suspect or nonconforming part can never be mistaken for a good one.

## Labels

| Label | Colour | Meaning |
|---|---|---|
| HOLD | yellow | Suspect: waiting for inspection or a decision |
| REJECT | red | Nonconforming: raised as an NC, waiting for disposition |
| REWORK | orange | Disposition rework: to be reworked to the stated method |
| ACCEPTED ON CONCESSION | green with black stripe | Use as is, with the concession number |

## Steps

1. As soon as you suspect a part, stop the operation on that part. Put the part and any parts
   that may share the problem in a separate container.
2. Fill in a HOLD label: part number, job number, quantity, what is wrong, your name, date.
   Attach it to the container, not loose on the bench.
3. Tell your supervisor. The supervisor raises the nonconformance in Qualitas the same shift
   ({{sop-nc}}) and writes the NC number on the label, changing it to REJECT when the
   nonconformity is confirmed.
4. Move the container to the quarantine cage (Sheffield: bay 3, red floor markings). Only
   Quality and the supervisor hold the key.
5. Parts leave quarantine only with the disposition decided in the NC: REWORK label to the
   rework area, scrap to the red scrap bin (implant components: to the locked scrap bin for
   witnessed destruction), return to supplier to Goods Out with the NC number.
6. Never remove or change a label yourself: ask Quality.

## Records

The NC record in Qualitas; the label number and location are written on the traveller.
""",
        ("SHF",),
    ),
    Doc(
        "wi-receiving",
        "work-instruction",
        "Receiving inspection",
        "mkowalski",
        "mkowalski",
        "SCM",
        "ISO 9001 8.4.2, 8.6; ISO 13485 7.4.3",
        """# Receiving inspection

## Purpose

Checking purchased material, parts and subcontract processes at receipt so that only
conforming product goes to stock and production.

## Steps

1. **Goods in.** Match the delivery note to the purchase order in the MES. Check the quantity,
   the part number and revision, and the condition of the packaging. Damaged deliveries are
   photographed and put on hold.
2. **Documents.** Check that every certificate the purchase order asks for is present and
   correct: certificate of conformity, mill certificate with heat number, chemical analysis
   and mechanical properties within the specification ({{spec-bar}} for implant bar),
   special process certificates.
3. **Sampling.** Apply the sampling plan of the supplier's class ({{sop-supplier}}):
   - Class A: every lot, full inspection of the characteristics on the inspection plan.
   - Class B: sample per the plan (ISO 2859-1, level II, AQL 1.0).
   - Class C: identity and quantity only.
4. **Inspect** the sample against the drawing and the inspection plan. Record results on the
   receiving inspection checklist ({{frm-receiving}}).
5. **Decision.** A lot that passes gets a green "Accepted" label with the goods-in number
   and is booked to stock in the MES with its heat or lot number. A lot that fails is labelled
   as {{wi-nc-label}} describes and an NC is raised ({{sop-nc}}).
6. **Bar stock for implants** must also be checked for the heat-number marking on every bar
   and for the ultrasonic test certificate.

## Records

Receiving inspection checklists and certificates, linked to the goods-in number in the MES.
""",
        ("SHF",),
    ),
    Doc(
        "wi-gauge",
        "work-instruction",
        "Daily gauge check",
        "jokafor",
        "acosta",
        "ENG",
        "ISO 9001 7.1.5; ISO 13485 7.6",
        """# Daily gauge check

## Purpose

Confirming at the start of each shift that the gauges used to accept parts on the line still
read correctly, between their calibrations ({{sop-calibration}}).

## Which gauges

Micrometers, bore gauges, height gauges and digital callipers issued to a machine cell, and
the torque tools of the assembly bench. Plug and ring gauges are checked visually only.

## Steps

1. Check the calibration label: if the due date has passed, do not use the gauge; return it to
   the inspection room.
2. Clean the measuring faces and the setting master or gauge block with a lint-free cloth.
3. Let the gauge and master reach room temperature (at least 15 minutes after moving them).
4. Measure the setting master three times. Every reading must be within the check tolerance
   shown on the gauge's tag (normally one division of the gauge's resolution, for example
   ± 0.001 mm for a 0.001 mm micrometer).
5. For bore gauges, set to the setting ring and check zero twice.
6. Record the gauge number, master, readings, result and your initials on the gauge check log
   ({{frm-gauge-log}}).
7. **If a check fails:** do not adjust the gauge. Tag it "Do not use", take it to the
   inspection room and tell your supervisor. Parts measured with it since the last good check
   are put on hold ({{wi-nc-label}}) until Engineering has assessed them.

## Records

Gauge check log, kept at the cell for the month and then filed by the inspection room.
""",
        ("SHF",),
    ),
    Doc(
        "wi-gowning",
        "work-instruction",
        "Clean-room gowning",
        "dfischer",
        "dfischer",
        "MED",
        "ISO 13485 6.4.2; ISO 14644-1 class 7",
        """# Clean-room gowning

## Purpose

Entering the ISO class 7 clean room of the implant component line without bringing in
particles, fibres or contamination.

## Who may enter

Only people trained and assessed on this instruction ({{sop-training}}) and listed on the
clean-room access list. Visitors are escorted and gowned in the same way.

## Before entering

- No make-up, nail varnish, jewellery or watches; no food or drink.
- Anyone with a cold, a skin condition or an open wound tells the supervisor and does not
  enter.

## Gowning sequence (in the gowning room)

1. In the outer zone: put on the shoe covers, stepping over the bench one foot at a time onto
   the clean side.
2. Wash hands and forearms for 30 seconds with the unscented soap; dry with a lint-free towel.
3. Put on the hair cover, covering all hair; then the beard cover if needed.
4. Put on the face mask.
5. Take a coverall of your size from the sealed pack. Put it on without letting it touch the
   floor; zip it fully; fit the hood under the coverall collar.
6. Put on the clean-room boots over the shoe covers, fastening them over the coverall legs.
7. Put on the nitrile gloves, pulling the cuffs over the coverall sleeves.
8. Check yourself in the full-length mirror; no hair, skin or clothing may show except around
   the eyes.
9. Enter through the air shower (15 seconds, arms raised, turning round).

## Leaving

Remove gloves, boots and coverall in the reverse order; coveralls go to the laundry bin, masks
and gloves to the waste bin. A coverall is worn for one shift only.

## Records

Entries in the clean-room access log; monthly particle counts are kept by the Medical Line
Quality Engineer.
""",
        ("SHF",),
    ),
    Doc(
        "wi-packing",
        "work-instruction",
        "Packing and labelling for dispatch",
        "mkowalski",
        "jokafor",
        "OPS",
        "ISO 9001 8.5.4; ISO 13485 7.5.11",
        """# Packing and labelling for dispatch

## Purpose

Packing finished parts so that they reach the customer undamaged, clean and identified, with
the documents the order requires.

## Steps

1. **Release check.** Parts go to packing only from the finished-goods cage with a traveller
   fully signed, including final inspection. Check the quantity against the traveller.
2. **Packing method.** Use the packing method stated on the part's packing card in the MES:
   - aerospace parts: individually bagged in VCI bags, in foam-lined boxes;
   - industrial shafts: protected with rust preventive and end caps;
   - implant components: packed in the clean room into the double bags and labels the
     customer specification and {{spec-packaging}} require. Never repack implant components
     outside the clean room.
3. **Do not mix** jobs, lots or revisions in one bag or box.
4. **Labels.** Print the box label from the MES: customer, part number and revision, quantity,
   job and lot number, purchase order, date. Check the label against the traveller and the
   parts before sticking it on.
5. **Documents.** Print the certificate of conformity and the delivery note; attach material
   and special process certificates when the order asks for them.
6. **Second check.** A second person checks part number, quantity, labels and documents and
   initials the dispatch checklist.
7. Seal the box with the tamper-evident tape and move it to Goods Out.

## Records

Dispatch checklist and the certificate of conformity, linked to the job in the MES
({{sop-traceability}}).
""",
        ("SHF",),
    ),
    Doc(
        "frm-fai",
        "form",
        "First-article inspection report",
        "jokafor",
        "jokafor",
        "OPS",
        "ISO 9001 8.6; AS9102",
        """# First-article inspection report

The report used for every first-article inspection under {{wi-fai}}; the attached PDF is the
form to print and fill in by hand at the machine, or to fill in on screen.

## Sections of the form

1. **Part and job:** part number, drawing number and revision, job number, customer, reason
   for the first article (new part, new revision, process change, two years since last run).
2. **Material and special processes:** material specification, heat or cast number,
   certificate numbers; special process supplier and certificate.
3. **Characteristics:** one line per balloon number on the drawing: requirement (nominal and
   tolerance), measured result, instrument or CMM program and gauge number, conforming yes/no.
4. **Decision:** accepted or rejected, inspector's name, signature and date; for implant
   components, the Medical Line Quality Engineer's countersignature.

## Completing the form

- Every balloon on the drawing has a line; none is left blank. Notes such as "break sharp
  edges" or "mark part number" are characteristics too.
- Record actual values, not "OK". Attribute characteristics are recorded as pass or fail
  with the gauge used.
- Attach the CMM report ({{wi-cmm}}) and the ballooned drawing.
- The completed report is scanned into the job in the MES ({{sop-records}}).
""",
        ("SHF",),
    ),
    Doc(
        "frm-receiving",
        "form",
        "Receiving inspection checklist",
        "mkowalski",
        "mkowalski",
        "SCM",
        "ISO 9001 8.4.2",
        """# Receiving inspection checklist

The checklist used for every delivery under {{wi-receiving}}. The attached spreadsheet is the
template; inspectors save a copy per goods-in number to the MES.

## Sheet "Checklist"

| Check | Record |
|---|---|
| Purchase order and line | PO number |
| Supplier and class | A / B / C |
| Part number and revision match the PO | Yes / No |
| Quantity delivered | number |
| Packaging condition | OK / damaged (photo) |
| Certificate of conformity present | Yes / No |
| Mill certificate, heat number matches bar marking | Yes / No / n.a. |
| Chemistry and mechanical properties within specification | Yes / No / n.a. |
| Special process certificate | Yes / No / n.a. |
| Sample size and plan | e.g. 13, ISO 2859-1 II, AQL 1.0 |
| Characteristics inspected and results | see sheet "Results" |
| Decision | Accepted / Rejected (NC number) |
| Inspector and date | |

## Sheet "Results"

One row per sampled part and characteristic: balloon or characteristic, nominal, tolerance,
measured value, gauge number, result.

## Use

An incomplete checklist means the lot is not accepted. A rejected lot is labelled and an NC
raised ({{sop-nc}}); the checklist is linked to the NC.
""",
        ("SHF",),
    ),
    Doc(
        "frm-training",
        "form",
        "Training record",
        "pnair",
        "hmarsh",
        "QA",
        "ISO 9001 7.2; ISO 13485 6.2",
        """# Training record

The record of on-the-job training against a controlled document, as {{sop-training}}
requires. One record per person and per document revision.

## Fields

| Field | What to write |
|---|---|
| Trainee | Name and job title |
| Document | Number, title and revision trained on (e.g. {{wi-deburr}}) |
| Trainer | Name; must hold level 3 in the skills matrix for this document |
| Training given | Dates and hours; what was shown and practised |
| Assessment | Method (observation of conforming parts, questions, test) and result |
| Level granted | 1 under supervision, 2 works alone, 3 may train others |
| Signatures | Trainee, trainer, supervisor, with dates |

## Rules

- The trainee must make conforming parts under observation before level 2 is granted;
  record the job numbers observed.
- When a document's new revision has a training impact, the read-and-understood signature in
  Qualitas replaces a new training record, unless the supervisor asks for practical
  retraining.
- Completed records are given to the Quality Manager, who updates the skills matrix, and are
  kept as quality records ({{sop-records}}) for the employment plus seven years.
""",
    ),
    Doc(
        "frm-gauge-log",
        "form",
        "Gauge check log",
        "jokafor",
        "acosta",
        "ENG",
        "ISO 9001 7.1.5",
        """# Gauge check log

The monthly log of the daily gauge checks made under {{wi-gauge}}, one log per machine cell,
and of the torque tool checks of {{wi-torque}}.

## Columns

| Column | Content |
|---|---|
| Date and shift | e.g. 14/03, early |
| Gauge number | G-nnnn from the calibration label |
| Master used | setting master, ring or gauge block number |
| Nominal | size of the master |
| Readings 1, 2, 3 | as read |
| Check tolerance | from the gauge tag |
| Result | Pass / Fail |
| Initials | of the person who checked |

## Rules

- One line per gauge per shift before the gauge is used; a gauge not used that shift needs no
  line.
- A failed check is written in red with the action taken (gauge returned, parts held) and the
  supervisor's initials.
- At the end of the month the cell leader hands the log to the inspection room, which files it
  by gauge and reviews it for drift; drifting gauges get their calibration brought forward
  ({{sop-calibration}}).
""",
        ("SHF",),
    ),
    Doc(
        "spec-bar",
        "specification",
        "Stainless steel bar for implant components (316LVM)",
        "dfischer",
        "dfischer",
        "MED",
        "ISO 13485 7.4.2; ASTM F138; ISO 5832-1",
        """# Stainless steel bar for implant components (316LVM)

## 1 Scope

Purchasing and acceptance requirements for wrought 18Cr-14Ni-2.5Mo vacuum-melted stainless
steel bar (UNS S31673) used for the implant components machined at Sheffield Works.

## 2 Standards

The bar shall conform to ASTM F138 (see {{ext-astm-f138}}) and ISO 5832-1, grade as stated on
the purchase order, annealed or cold-worked condition as ordered.

## 3 Requirements

| Property | Requirement |
|---|---|
| Melting | Vacuum arc remelted (VAR) or electro-slag remelted |
| Chemistry | Per ASTM F138 Table 1; Cr + 3.3 × Mo ≥ 26.0 |
| Inclusions | ASTM E45 method A, thin ≤ 1.5, heavy ≤ 1.0 |
| Grain size | ASTM 5 or finer |
| Surface | Centreless ground, Ra ≤ 0.8 µm, free of laps and seams |
| Diameter tolerance | h9 |
| Marking | Heat number on every bar, at intervals of at most 1 m |

## 4 Certification

Each delivery shall have a mill certificate stating heat number, chemical analysis, mechanical
properties, inclusion rating, grain size and the standard edition, and a certificate of
conformity from the stockist. The heat number on the certificate must match the bar marking.

## 5 Acceptance

Receiving inspection per {{wi-receiving}}: every lot is checked for certificates, marking,
diameter and surface. Bar without a matching heat marking is rejected.
""",
    ),
    Doc(
        "spec-packaging",
        "specification",
        "Cleaning, passivation and packaging of implant components",
        "dfischer",
        "dfischer",
        "MED",
        "ISO 13485 6.4.2, 7.5.2, 7.5.11; ASTM A967; ASTM F86",
        """# Cleaning, passivation and packaging of implant components

## 1 Scope

The final cleaning, passivation and non-sterile packaging of implant components supplied by
Aldermoor Precision to the legal manufacturer, who sterilises them.

## 2 Process sequence

1. Final machining and deburring ({{wi-deburr}}).
2. Precleaning: ultrasonic alkaline clean, 10 minutes at 55 °C; rinse in deionised water.
3. Passivation per ASTM A967 Nitric 2 as {{wi-passivation}} describes.
4. Final rinse in deionised water, conductivity below 10 µS/cm; dry with filtered air.
5. Visual inspection under 3× magnification for residues, staining and discolouration.
6. Packaging in the ISO class 7 clean room ({{wi-gowning}}).

## 3 Cleanliness acceptance

| Test | Frequency | Limit |
|---|---|---|
| Visual, 3× | every part | no residue, no staining |
| Humidity test, ASTM A967 Practice A | one part per lot | no rust |
| Bioburden (by customer's laboratory) | quarterly | per customer specification |
| Total organic carbon on extract | quarterly | ≤ 50 µg per part |

## 4 Packaging

- Inner bag: polyethylene, clean-room grade, heat sealed; one part per bag unless the order
  says otherwise.
- Outer bag: heat sealed, with the label: part number and revision, lot number, quantity,
  "NON-STERILE", date of packing.
- Bags are packed in a clean, new corrugated box with the dispatch label ({{wi-packing}}).

## 5 Records

Process and test results are part of the device history record ({{sop-traceability}}).
""",
        ("SHF",),
    ),
    Doc(
        "dwg-housing",
        "drawing",
        "Housing HSG-4471, machined (customer drawing)",
        "acosta",
        "acosta",
        "ENG",
        "ISO 9001 8.5.1",
        """# Housing HSG-4471, machined

Customer drawing of the aluminium housing HSG-4471, issued by the customer as PDF and
controlled here so that production, inspection and first-article inspection ({{wi-fai}})
always use the revision on the purchase order. The attached PDF is the drawing.

## Key characteristics

| Balloon | Characteristic | Requirement |
|---|---|---|
| 4 | Main bore | Ø74.000 +0.035 / 0 mm |
| 7 | Bore position to datum A | ⌖ Ø0.05 A B |
| 9 | Face flatness | ⏥ 0.02 |
| 12 | Thread | M6 × 1.0 – 6H, 8 places |
| 15 | Surface finish, bore | Ra 0.8 µm |

## Notes

- Material: EN AW-6082 T6, certificate required.
- Break all sharp edges 0.1–0.3 mm ({{wi-deburr}}).
- Measure bore and position on the CMM ({{wi-cmm}}).
- The bore diameter is a key characteristic: process capability Cpk ≥ 1.33 is required and
  monitored with the SPC study of line 3.

Any deviation from this drawing needs a customer concession through the nonconformance
process ({{sop-nc}}).
""",
        ("SHF",),
    ),
    Doc(
        "ext-astm-f138",
        "external",
        "ASTM F138 – Wrought 18Cr-14Ni-2.5Mo stainless steel bar for surgical implants",
        "pnair",
        "dfischer",
        "MED",
        "ISO 9001 7.5.3.2; ISO 13485 4.2.4",
        """# ASTM F138 – register entry

External document held for the implant component line. The standard itself is licensed
through the company's standards subscription and read there; this register entry and the
attached summary sheet record which edition applies and where it is used, so that a new
edition is noticed and assessed.

## Edition in use

ASTM F138-19, *Standard Specification for Wrought 18Chromium-14Nickel-2.5Molybdenum Stainless
Steel Bar and Wire for Surgical Implants (UNS S31673)*.

## Where it is used

- {{spec-bar}}, the purchasing and acceptance specification for implant bar.
- {{wi-receiving}}, receiving inspection of implant bar certificates.
- Customer quality agreements for the implant components IMP-7720.

## Monitoring for new editions

The Document Controller checks the subscription for a new edition every quarter and at the
twelve-month periodic review of this entry. A new edition is assessed by the Medical Line
Quality Engineer with the customers: what changed, whether stock and open orders are affected,
and which documents must be revised. The assessment is recorded in a new revision of this
entry.

## Summary sheet

The attached PDF summarises the requirements we check: chemistry, inclusion rating, grain
size, mechanical properties by condition, and the certification the mill must provide.
""",
    ),
]


# --- Later revisions ---------------------------------------------------------------------------

SCOPE_B = (
    "Manufacture of precision machined components for aerospace and industrial customers, and "
    "of implant components for orthopaedic medical devices, at Sheffield Works (SHF); and the "
    "development and operation of the manufacturing execution system and the customer portal "
    "at Leeds Digital (LDS), which also holds ISO 27001 certification for its information "
    "security management system ({{pol-infosec}})."
)

QM_B = Change(
    "Leeds Digital joined the certification scope at the last surveillance audit.",
    "Scope extended to Leeds Digital (MES and customer portal) and the interfaces with its "
    "ISO 27001 ISMS; process table lists the information security policy.",
    (
        (SCOPE_A, SCOPE_B),
        (
            "| Monitoring and review | Lead Internal Auditor | {{sop-audit}}, {{sop-review}} |",
            "| Monitoring and review | Lead Internal Auditor | {{sop-audit}}, {{sop-review}} |\n"
            "| Information security | IT Systems Administrator | {{pol-infosec}} |",
        ),
    ),
)

DOCUMENTS_B = Change(
    "Paper approval pages replaced by electronic signatures in Qualitas.",
    "Approval is by electronic signature (21 CFR Part 11): approvers re-enter their password; "
    "the paper approval page is no longer used.",
    (
        (
            "accepted, the approvers sign.",
            "accepted, the approvers sign electronically: each re-enters their password, and the "
            "signature records their name, the date and time and its meaning (approved).",
        ),
    ),
)
DOCUMENTS_C = Change(
    "Finding 2 of the ISO 13485 surveillance audit: obsolete external documents.",
    "External documents are reviewed every 12 months and checked for new editions every "
    "quarter; step 9 added for external documents.",
    (
        (
            "   the register as obsolete.",
            "   the register as obsolete.\n"
            "9. External documents (standards, customer specifications) are checked for new\n"
            "   editions every quarter; a new edition is assessed and recorded in a new revision\n"
            "   of the register entry (see {{ext-astm-f138}}).",
        ),
    ),
)

NC_B = Change(
    "Internal audit finding: use-as-is decisions were approved by Quality alone.",
    "Use as is and repair now need the signatures of the Quality Manager and the Head of "
    "Engineering.",
    (
        (
            "   rework (to the drawing, with a documented method), repair, use as is, return to "
            "supplier,\n   or scrap.",
            "   rework (to the drawing, with a documented method), repair, use as is, return to "
            "supplier,\n   or scrap. Use as is and repair are approved by signature of the "
            "Quality Manager and\n   the Head of Engineering.",
        ),
    ),
)

CAPA_B = Change(
    "Effectiveness checks were set ad hoc; audit observation 2024-07.",
    "Effectiveness is verified at 90 days by default, against criteria set in the approved "
    "plan; the Quality Manager may set a longer period for low-volume parts.",
    (
        (
            "7. **Verify effectiveness** against criteria set when the plan was approved.",
            "7. **Verify effectiveness** against criteria set when the plan was approved, 90 "
            "days after\n   implementation unless the plan states otherwise.",
        ),
    ),
)
CAPA_REVIEW_COMMENT = (
    "90 days is too short for parts we make twice a year (e.g. IMP-7720 lots). Please say who "
    "decides the period in that case and that it must be stated in the plan."
)

SUPPLIER_B = Change(
    "Scorecard thresholds aligned with the customers' requirements.",
    "Class A suppliers re-evaluated every year by audit; scorecard threshold for lots accepted "
    "raised to 99 % for Class A.",
    (
        (
            "| Lots accepted at receiving | ≥ 98 % |",
            "| Lots accepted at receiving (Class A) | ≥ 99 % |\n"
            "| Lots accepted at receiving (Class B) | ≥ 98 % |",
        ),
        (
            "request; a Class A supplier below target is re-audited.",
            "request; a Class A supplier below target is re-audited. Class A suppliers are\n"
            "re-audited every year in any case.",
        ),
    ),
)

CALIBRATION_B = Change(
    "The calibration policy is merged into this procedure so that there is one document.",
    "Interval rules, uncertainty and software validation taken over from the calibration "
    "policy, which is withdrawn.",
    (
        (
            "7. **Handling and storage.**",
            "7. **Intervals** start at twelve months and are adjusted from each instrument's "
            "history,\n   never beyond twenty-four months. Measurement uncertainty is "
            "considered when a tolerance is\n   smaller than four times the instrument's "
            "uncertainty.\n"
            "8. **Software** used for measurement (CMM programs, the MES gauge interface) is "
            "validated\n   before first use and after every change.\n"
            "9. **Handling and storage.**",
        ),
    ),
)

PASSIVATION_B = Change(
    "Humidity test failures in two lots traced to weak baths late in the shift.",
    "Bath concentration titrated at the start of each shift instead of daily; water-break test "
    "added after the final rinse.",
    (
        (
            "Titrate the\n  bath once a day before first use and record the result.",
            "Titrate the\n  bath at the start of every shift and record the result.",
        ),
        (
            "   The rinse water conductivity must be below 10 µS/cm.",
            "   The rinse water conductivity must be below 10 µS/cm. Check one part with the "
            "water-break\n   test: the water film must stay unbroken for 30 seconds.",
        ),
    ),
)

DEBURR_B = Change(
    "CAPA for burrs left on BRK-1180 brackets (defect COS-02).",
    "Deburr check with the 10× magnifier made a separate, signed step; a photo of the first "
    "part of each job is saved to the job; night shift trained.",
    (
        (
            "5. Check every edge with the 10× magnifier against the comparison card.",
            "5. Check every edge with the 10× magnifier against the comparison card and take a "
            "photo of\n   the first part of the job for the MES.",
        ),
    ),
)

SPEC_BAR_11 = Change(
    "Customer quality agreement revision: ultrasonic testing of bar.",
    "Ultrasonic test of bar over Ø20 mm added (ASTM A388 / customer requirement); edition of "
    "ASTM F138 stated.",
    (
        (
            "| Marking | Heat number on every bar, at intervals of at most 1 m |",
            "| Marking | Heat number on every bar, at intervals of at most 1 m |\n"
            "| Ultrasonic test | Bar over Ø20 mm: 100 % tested, certificate required |",
        ),
        (
            "The bar shall conform to ASTM F138 (see",
            "The bar shall conform to ASTM F138-19 (see",
        ),
    ),
)


# --- Loading -----------------------------------------------------------------------------------

REF = re.compile(r"\{\{([a-z0-9-]+)\}\}")
LEGACY_REVIEW_REASON = "Demo data: review date from the legacy system"


def load() -> None:
    """Called by `qualitas demo` after the company is created; nothing when documents exist."""
    if Document.objects.exists():
        return
    _Loader().run()


class _Loader:
    """The people, sites and document types of the demo, and the story told with them."""

    def __init__(self) -> None:
        from qualitas.core.demo import PEOPLE

        self.today = timezone.localdate()
        self.people = {u.username: u for u in User.objects.all()}
        self.passwords = {row[0]: row[-1] for row in PEOPLE}
        self.departments = {d.code: d for d in Department.objects.all()}
        self.sites = {s.code: s for s in Site.objects.all()}
        self.types = {t.code: t for t in DocumentType.objects.all()}
        self.docs: dict[str, Document] = {}
        self.numbers: dict[str, str] = {}
        self.verified: set[int] = set()

    def p(self, username: str) -> User:
        return self.people[username]

    def ps(self, usernames: Iterable[str]) -> list[User]:
        return [self.people[u] for u in usernames]

    # -- signatures -----------------------------------------------------------------------------

    def token(self, user: User) -> signatures.SignatureToken:
        """Each signer's first signature re-verifies their printed password (so the demo's
        logins are known to sign); later ones are vouched for by the loader, as the other
        demo loaders do, instead of running Argon2 dozens of times."""
        if user.pk not in self.verified:
            self.verified.add(user.pk)
            return signatures.authenticate(user, self.passwords[user.username])
        return signatures.SignatureToken(user.pk, timezone.now())

    # -- building blocks ------------------------------------------------------------------------

    def resolve(self, text: str) -> str:
        return REF.sub(lambda m: self.numbers[m.group(1)], text)

    def register(self, spec: Doc) -> Document:
        return services.create_document(
            actor=self.p(spec.author),
            document_type=self.types[spec.kind],
            title=spec.title,
            owner=self.p(spec.owner),
            department=self.departments[spec.department],
            sites=[self.sites[code] for code in spec.sites],
            clause_references=spec.clauses,
            change_reason="First issue",
        )

    def write(
        self,
        spec: Doc,
        *,
        training: Iterable[str] = (),
        effective_on: date | None = None,
    ) -> DocumentRevision:
        """The author writes the first draft, now that every document has its number."""
        revision = self.docs[spec.key].revisions.get()
        departments = [self.departments[code] for code in training]
        return services.edit_revision(
            revision,
            actor=self.p(spec.author),
            expected_version=revision.version,
            training_impact=bool(departments),
            training_departments=departments,
            content_text=self.resolve(spec.text),
            effective_on=effective_on,
        )

    def submit(
        self, revision: DocumentRevision, *, approvers: Sequence[str], reviewers: Sequence[str] = ()
    ) -> DocumentRevision:
        author = revision.owner
        services.set_signoffs(
            revision, actor=author, reviewers=self.ps(reviewers), approvers=self.ps(approvers)
        )
        submitted: DocumentRevision = workflow.fire(revision, "submit", actor=author)
        return submitted

    def release(
        self,
        revision: DocumentRevision,
        *,
        approvers: Sequence[str],
        reviewers: Sequence[str] = (),
        comments: dict[str, str] | None = None,
    ) -> DocumentRevision:
        """Review and approve: to effective (or approved, waiting for its date)."""
        revision = self.submit(revision, approvers=approvers, reviewers=reviewers)
        for name in reviewers:
            comment = (comments or {}).get(name, "")
            if comment:
                services.review(revision, actor=self.p(name), accept=False, comment=comment)
            services.review(revision, actor=self.p(name), accept=True)
        for name in approvers:
            approver = self.p(name)
            revision = services.approve(revision, actor=approver, signature=self.token(approver))
        revision.refresh_from_db()
        return revision

    def revise(self, key: str, *, actor: str, change: Change) -> DocumentRevision:
        revision = services.new_revision(
            self.docs[key], actor=self.p(actor), change_reason=change.reason
        )
        text = revision.content_text
        for old, new in change.edits:
            old = self.resolve(old)
            if old not in text:  # pragma: no cover - guards the demo text itself
                raise ValueError(f"{key}: {old!r} is not in the text to revise")
            text = text.replace(old, self.resolve(new))
        return services.edit_revision(
            revision,
            actor=self.p(actor),
            expected_version=revision.version,
            content_text=text,
            change_summary=self.resolve(change.summary),
        )

    def attach(self, key: str, data: bytes, name: str, description: str) -> None:
        revision = self.docs[key].revisions.get()
        services.add_file(
            revision,
            actor=revision.owner,
            file=io.BytesIO(data),
            name=name,
            description=description,
        )

    def acknowledge(self, key: str, usernames: Iterable[str]) -> None:
        revision = DocumentRevision.objects.get(document=self.docs[key], state="effective")
        for name in usernames:
            person = self.p(name)
            pending = revision.acknowledgements.get(person=person, state="pending")
            services.acknowledge(pending, actor=person, signature=self.token(person))

    def relate(self, key: str, others: Iterable[str]) -> None:
        document = self.docs[key]
        document.refresh_from_db()
        services.update_document(
            document,
            actor=self.p("pnair"),
            expected_version=document.version,
            related=[self.docs[k] for k in others],
            reason="Related documents linked",
        )

    def legacy_review_date(self, key: str, days_ago: int) -> None:
        """The next periodic review as carried over from the old paper register."""
        document = Document.objects.get(pk=self.docs[key].pk)
        services.update_document(
            document,
            actor=self.p("pnair"),
            expected_version=document.version,
            reason=LEGACY_REVIEW_REASON,
            next_review_on=self.today - timedelta(days=days_ago),
        )

    # -- the story ------------------------------------------------------------------------------

    def run(self) -> None:
        for spec in DOCS:
            self.docs[spec.key] = self.register(spec)
        self.numbers = {key: document.number for key, document in self.docs.items()}
        training = {
            "pol-quality": ["QA", "MGT", "OPS", "MED", "ENG", "SCM", "IT"],
            "sop-traceability": ["OPS", "SCM"],
            "wi-passivation": ["MED"],
            "wi-nc-label": ["OPS"],
            "wi-gowning": ["MED"],
        }
        for spec in DOCS:
            self.write(
                spec,
                training=training.get(spec.key, ()),
                effective_on=self.today + timedelta(days=14)
                if spec.key == "pol-supplier"
                else None,
            )
        self.attach_files()
        self.release_documents()
        self.work_in_progress()
        self.related_documents()
        self.reading()
        self.periodic_reviews()
        # Merged into the calibration procedure: the policy is withdrawn (obsolete).
        services.withdraw_document(
            self.docs["pol-calibration"],
            actor=self.p("pnair"),
            reason=f"Merged into {self.numbers['sop-calibration']} rev B; one document for "
            "calibration instead of two.",
        )

    def attach_files(self) -> None:
        self.attach(
            "dwg-housing",
            _housing_drawing_pdf(),
            "HSG-4471-revD.pdf",
            "Customer drawing, revision D",
        )
        self.attach(
            "ext-astm-f138",
            _astm_summary_pdf(),
            "ASTM-F138-19-summary.pdf",
            "Summary sheet of the requirements checked (not the standard)",
        )
        self.attach(
            "frm-fai",
            _fai_form_pdf(self.numbers["frm-fai"]),
            f"{self.numbers['frm-fai']}-first-article-report.pdf",
            "Form to print or fill in",
        )
        self.attach(
            "frm-receiving",
            _receiving_checklist_xlsx(self.numbers["frm-receiving"]),
            f"{self.numbers['frm-receiving']}-receiving-checklist.xlsx",
            "Checklist template",
        )

    def release_documents(self) -> None:
        docs = self.docs
        first = {key: document.revisions.get() for key, document in docs.items()}
        # The quality manual: A, then B for the Leeds Digital scope (sequential approval).
        self.release(first["qm"], approvers=["acosta", "rmensah"], reviewers=["tbecker"])
        self.release(
            self.revise("qm", actor="hmarsh", change=QM_B),
            approvers=["acosta", "rmensah"],
            reviewers=["tbecker"],
        )
        self.release(first["pol-quality"], approvers=["rmensah"])
        self.release(first["pol-infosec"], approvers=["rmensah"], reviewers=["spatel"])
        # Approved now, effective in two weeks (suppliers are told first).
        self.release(first["pol-supplier"], approvers=["hmarsh", "rmensah"], reviewers=["acosta"])
        self.release(first["pol-calibration"], approvers=["hmarsh"])
        # Control of documents: A, B, and C after an audit finding.
        self.release(first["sop-documents"], approvers=["hmarsh"])
        self.release(
            self.revise("sop-documents", actor="pnair", change=DOCUMENTS_B), approvers=["hmarsh"]
        )
        self.release(
            self.revise("sop-documents", actor="pnair", change=DOCUMENTS_C),
            approvers=["hmarsh"],
            reviewers=["tbecker"],
        )
        self.release(first["sop-records"], approvers=["hmarsh"])
        self.release(first["sop-audit"], approvers=["hmarsh"], reviewers=["tbecker"])
        self.release(first["sop-review"], approvers=["rmensah"])
        self.release(first["sop-nc"], approvers=["acosta"], reviewers=["jokafor", "dfischer"])
        nc_b = self.revise("sop-nc", actor="hmarsh", change=NC_B)
        nc_b = services.edit_revision(
            nc_b,
            actor=self.p("hmarsh"),
            expected_version=nc_b.version,
            training_impact=True,
            training_departments=[self.departments[c] for c in ("QA", "OPS", "MED")],
        )
        self.release(
            nc_b,
            approvers=["acosta"],
            reviewers=["jokafor"],
            comments={"jokafor": "Please add where the quarantine cage is for the night shift."},
        )
        self.release(first["sop-capa"], approvers=["rmensah"], reviewers=["tbecker"])
        self.release(first["sop-supplier"], approvers=["hmarsh"])
        self.release(first["sop-calibration"], approvers=["hmarsh"], reviewers=["jokafor"])
        self.release(
            self.revise("sop-calibration", actor="pnair", change=CALIBRATION_B),
            approvers=["acosta"],
        )
        self.release(first["sop-training"], approvers=["rmensah"])
        self.release(first["sop-complaints"], approvers=["hmarsh"])
        self.release(first["sop-purchasing"], approvers=["hmarsh"])
        self.release(first["sop-traceability"], approvers=["hmarsh"], reviewers=["dfischer"])
        self.release(first["wi-cmm"], approvers=["acosta"])
        self.release(first["wi-fai"], approvers=["acosta"], reviewers=["dfischer"])
        self.release(first["wi-passivation"], approvers=["hmarsh"])
        self.acknowledge("wi-passivation", ["dfischer"])
        self.release(
            self.revise("wi-passivation", actor="dfischer", change=PASSIVATION_B),
            approvers=["hmarsh"],
        )
        self.release(first["wi-deburr"], approvers=["acosta"])
        self.release(
            self.revise("wi-deburr", actor="jokafor", change=DEBURR_B),
            approvers=["acosta"],
            reviewers=["lchen"],
        )
        self.release(first["wi-nc-label"], approvers=["hmarsh"], reviewers=["lchen"])
        self.release(first["wi-receiving"], approvers=["hmarsh"])
        self.release(first["wi-gauge"], approvers=["acosta"])
        self.release(first["wi-gowning"], approvers=["hmarsh"])
        self.release(first["wi-packing"], approvers=["hmarsh"], reviewers=["dfischer"])
        self.release(first["frm-fai"], approvers=["acosta"])
        self.release(first["frm-receiving"], approvers=["hmarsh"])
        self.release(first["frm-training"], approvers=["hmarsh"])
        self.release(first["frm-gauge-log"], approvers=["acosta"])
        self.release(first["spec-bar"], approvers=["acosta", "hmarsh"])
        self.release(
            self.revise("spec-bar", actor="dfischer", change=SPEC_BAR_11),
            approvers=["acosta", "hmarsh"],
        )
        self.release(first["spec-packaging"], approvers=["hmarsh"])
        self.release(first["dwg-housing"], approvers=["hmarsh"])
        self.release(first["ext-astm-f138"], approvers=["hmarsh"])

    def work_in_progress(self) -> None:
        # CAPA rev B: in review, the auditor has commented.
        capa_b = self.submit(
            self.revise("sop-capa", actor="hmarsh", change=CAPA_B),
            approvers=["rmensah"],
            reviewers=["tbecker"],
        )
        services.review(capa_b, actor=self.p("tbecker"), accept=False, comment=CAPA_REVIEW_COMMENT)
        # Supplier evaluation rev B: reviewed, waiting for Ana Costa's signature.
        supplier_b = self.submit(
            self.revise("sop-supplier", actor="mkowalski", change=SUPPLIER_B),
            approvers=["acosta"],
            reviewers=["hmarsh"],
        )
        services.review(
            supplier_b,
            actor=self.p("hmarsh"),
            accept=True,
            comment="Agreed; matches the customer scorecards.",
        )
        # Change control: sent back to draft by the approver, sign-offs voided.
        change = self.submit(
            self.docs["sop-change"].revisions.get(),
            approvers=["hmarsh"],
            reviewers=["jokafor", "dfischer"],
        )
        services.review(change, actor=self.p("jokafor"), accept=True)
        services.review(change, actor=self.p("dfischer"), accept=True)
        workflow.fire(
            change,
            "return_to_draft",
            actor=self.p("hmarsh"),
            comment="Process validation is missing: say when a change to a validated process "
            "(passivation, cleaning, packaging) needs revalidation before release.",
        )
        # Risk management: a draft with its sign-offs chosen; torque setting: a bare draft.
        services.set_signoffs(
            self.docs["sop-risk"].revisions.get(),
            actor=self.p("dfischer"),
            reviewers=self.ps(["acosta"]),
            approvers=self.ps(["hmarsh"]),
        )

    def related_documents(self) -> None:
        pairs = [
            ("sop-nc", "wi-nc-label"),
            ("sop-nc", "sop-capa"),
            ("sop-calibration", "wi-gauge"),
            ("sop-calibration", "frm-gauge-log"),
            ("sop-calibration", "wi-cmm"),
            ("sop-calibration", "pol-calibration"),
            ("wi-fai", "frm-fai"),
            ("wi-fai", "dwg-housing"),
            ("wi-receiving", "frm-receiving"),
            ("wi-receiving", "sop-purchasing"),
            ("spec-bar", "ext-astm-f138"),
            ("spec-bar", "wi-receiving"),
            ("wi-passivation", "spec-packaging"),
        ]
        # Related is symmetrical and each update sets the whole list: give each its full list.
        neighbours: dict[str, list[str]] = {}
        for a, b in pairs:
            neighbours.setdefault(a, []).append(b)
            neighbours.setdefault(b, []).append(a)
        for key in DOCS_ORDER:
            if key in neighbours:
                self.relate(key, neighbours[key])

    def reading(self) -> None:
        """Read-and-understood: most have signed; Jamal Okafor and a few others have not."""
        self.acknowledge(
            "pol-quality",
            ["hmarsh", "pnair", "rmensah", "acosta", "tbecker", "spatel", "mkowalski", "dfischer"],
        )
        self.acknowledge("sop-nc", ["hmarsh", "pnair", "dfischer", "lchen"])
        self.acknowledge("sop-traceability", ["mkowalski"])
        self.acknowledge("wi-nc-label", ["lchen"])
        self.acknowledge("wi-gowning", ["dfischer"])

    def periodic_reviews(self) -> None:
        # Review dates carried over from the paper register: two overdue, one done today.
        self.legacy_review_date("sop-audit", 23)
        self.legacy_review_date("sop-purchasing", 61)
        self.legacy_review_date("sop-records", 9)
        controller = self.p("pnair")
        services.record_periodic_review(
            self.docs["sop-records"],
            actor=controller,
            outcome="no_change",
            comment="Retention periods checked against the current customer contracts and "
            "quality agreements; still right.",
            signature=self.token(controller),
        )


DOCS_ORDER = [spec.key for spec in DOCS]


# --- Files -------------------------------------------------------------------------------------

_PDF_STYLE = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: sans-serif; font-size: 9pt; color: #111; }
h1 { font-size: 14pt; margin: 0 0 4mm; }
table { border-collapse: collapse; width: 100%; margin-bottom: 4mm; }
th, td { border: 0.6pt solid #333; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }
th { background: #eee; }
.blank td { height: 7mm; }
"""


def _pdf(body: str, *, portrait: bool = False) -> bytes:
    style = _PDF_STYLE.replace("A4 landscape", "A4") if portrait else _PDF_STYLE
    document = f"<html><head><style>{style}</style></head><body>{body}</body></html>"
    import weasyprint  # loads Pango, so only when the demo makes its PDFs

    return bytes(weasyprint.HTML(string=document).write_pdf())


def _housing_drawing_pdf() -> bytes:
    rows = "".join(
        f"<tr><td>{balloon}</td><td>{what}</td><td>{req}</td></tr>"
        for balloon, what, req in [
            (4, "Main bore", "Ø74.000 +0.035/0"),
            (7, "Bore position to datum A B", "Ø0.05"),
            (9, "Face flatness", "0.02"),
            (12, "Thread M6 × 1.0 – 6H", "8 places"),
            (15, "Surface finish, bore", "Ra 0.8"),
        ]
    )
    svg = """
<svg width="480" height="230" xmlns="http://www.w3.org/2000/svg">
  <rect x="20" y="20" width="300" height="190" fill="none" stroke="#000" stroke-width="2"/>
  <circle cx="170" cy="115" r="62" fill="none" stroke="#000" stroke-width="2"/>
  <line x1="90" y1="115" x2="250" y2="115" stroke="#000" stroke-dasharray="10,4"/>
  <line x1="170" y1="35" x2="170" y2="195" stroke="#000" stroke-dasharray="10,4"/>
  <circle cx="45" cy="45" r="6" fill="none" stroke="#000"/>
  <circle cx="295" cy="45" r="6" fill="none" stroke="#000"/>
  <circle cx="45" cy="185" r="6" fill="none" stroke="#000"/>
  <circle cx="295" cy="185" r="6" fill="none" stroke="#000"/>
  <text x="340" y="110" font-size="13">Ø74.000 +0.035/0</text>
  <text x="340" y="130" font-size="13">(4) Ra 0.8</text>
  <text x="20" y="15" font-size="12">VIEW A</text>
</svg>"""
    return _pdf(
        f"""
<h1>HSG-4471 Housing, machined — drawing revision D</h1>
{svg}
<table><tr><th>Balloon</th><th>Characteristic</th><th>Requirement</th></tr>{rows}</table>
<table>
<tr><th>Material</th><td>EN AW-6082 T6</td><th>General tolerances</th><td>ISO 2768-mK</td></tr>
<tr><th>Edges</th><td>Break all sharp edges 0.1–0.3</td><th>Units</th><td>mm</td></tr>
<tr><th>Drawn</th><td>Customer engineering</td><th>Revision</th><td>D</td></tr>
</table>
<p>Controlled at Aldermoor Precision as a customer drawing. Do not scale.</p>
"""
    )


def _astm_summary_pdf() -> bytes:
    return _pdf(
        """
<h1>ASTM F138-19 — summary sheet (Aldermoor Precision)</h1>
<p>Prepared by document control for receiving inspection and purchasing. This is a summary of
the requirements we check, not the standard; read the licensed standard for the full text.</p>
<table>
<tr><th>Topic</th><th>What we check</th></tr>
<tr><td>Material</td><td>UNS S31673, 18Cr-14Ni-2.5Mo, vacuum remelted</td></tr>
<tr><td>Chemistry</td><td>Heat analysis on the mill certificate within Table 1;
Cr + 3.3 × Mo at least 26.0</td></tr>
<tr><td>Inclusions</td><td>ASTM E45 method A ratings on the certificate</td></tr>
<tr><td>Grain size</td><td>ASTM 5 or finer</td></tr>
<tr><td>Mechanical properties</td><td>Tensile, yield and elongation for the condition ordered
(annealed, cold worked, extra hard)</td></tr>
<tr><td>Certification</td><td>Mill certificate with heat number, edition of the standard,
and results of every required test</td></tr>
</table>
<p>Used by the bar specification and receiving inspection of the implant component line.</p>
""",
        portrait=True,
    )


def _fai_form_pdf(number: str) -> bytes:
    blank = "".join("<tr class='blank'>" + "<td></td>" * 8 + "</tr>" for _ in range(12))
    return _pdf(
        f"""
<h1>{number} First-article inspection report</h1>
<table>
<tr><th>Part number</th><td></td><th>Drawing and revision</th><td></td>
<th>Job number</th><td></td></tr>
<tr><th>Customer</th><td></td><th>Reason</th>
<td>new part / new revision / process change / 2 years</td><th>Date</th><td></td></tr>
<tr><th>Material specification</th><td></td><th>Heat / cast number</th><td></td>
<th>Certificate numbers</th><td></td></tr>
</table>
<table>
<tr><th>Balloon</th><th>Characteristic</th><th>Nominal</th><th>Tolerance</th>
<th>Measured</th><th>Instrument / CMM program</th><th>Gauge number</th><th>Conforms</th></tr>
{blank}
</table>
<table>
<tr><th>Decision</th><td>accepted / rejected</td><th>Inspector</th><td></td>
<th>Signature and date</th><td></td></tr>
<tr><th>Implant components</th><td colspan="5">Medical Line Quality Engineer countersignature:
</td></tr>
</table>
"""
    )


def _receiving_checklist_xlsx(number: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.create_sheet("Checklist", 0)
    book.remove(book.worksheets[1])
    sheet.append([f"{number} Receiving inspection checklist"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([])
    sheet.append(["Check", "Record"])
    for check in [
        "Goods-in number",
        "Purchase order and line",
        "Supplier and class (A / B / C)",
        "Part number and revision match the PO",
        "Quantity delivered",
        "Packaging condition",
        "Certificate of conformity present",
        "Mill certificate: heat number matches bar marking",
        "Chemistry and mechanical properties within specification",
        "Special process certificate",
        "Sample size and plan",
        "Decision (accepted / rejected, NC number)",
        "Inspector and date",
    ]:
        sheet.append([check, ""])
    sheet.column_dimensions["A"].width = 55
    sheet.column_dimensions["B"].width = 30
    results = book.create_sheet("Results")
    results.append(
        ["Part", "Characteristic", "Nominal", "Tolerance", "Measured", "Gauge number", "Result"]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
