"""Seeded synthetic re-scrapes of paper listings, with ground truth, and the pairwise accuracy metric.

``generate()`` invents papers (English-like Title Case titles, ~1,000-character abstracts drawn from the
seed dumps' vocabulary with a Zipf-like law) and writes every paper 1..8 times (mean ~2) into dump files
that imitate the five input layouts of ``seeds/`` exactly, page furniture included:

* ``cards``   (like ``seeds/000_*``, ``001_*``): page header, then title / blank / abstract / blank.
* ``pairs``   (like ``seeds/002_*``): two banner lines, the first title glued to ``Subscribe``, then
  alternating title and abstract lines.
* ``oneline`` (like ``seeds/003_*``): ``<upvotes|-> <title> <abstract> <N> authors · <Mon D, YYYY>``.
* ``meta``    (like ``seeds/004_*``): as ``cards`` plus, for most cards, a ``  • N authors`` or
  ``Org Short`` line, a ``·`` line and a date line (``Aug 2, 2024 3``, ``Jun 12 2``, ``Jun 9``).
* ``jsonl``   ``{"title", "abstract"}`` plus (per file) ``authors``, ``date``, ``upvotes``, ``organization``.

Output of ``generate(OUT_DIR, ...)``::

    OUT_DIR/dumps/gen_000_cards.txt, gen_001_pairs.txt, gen_002_oneline.txt, gen_003_meta.txt,
                  gen_004.jsonl, gen_005_cards.txt, ...    (file i has layout ``layouts[i % len(layouts)]``)
    OUT_DIR/truth.jsonl     one line per written record, in paper order:
        {"file": "gen_000_cards.txt", "line": 13, "paper": "p0000001", "variants": ["typos", "whitespace"]}
    OUT_DIR/papers.jsonl    only with ``write_papers=True`` (``--papers``): clean text and metadata per paper.

``file`` is relative to the dumps folder, ``line`` is the 1-based line where the record's title starts
(for the first record of a ``pairs`` file: the glued ``Subscribe<title>`` line). Files are spread 10..20
per run (a few thousand records each at 100k, 50k each at 1M); a few files have CRLF line endings and a few a
UTF-8 BOM (at least one of each when there are 3+ files). Existing ``gen_*`` files in the dumps folder are
removed first. The same seed gives byte-identical files (with the same Python and numpy versions: numpy may
change its ``Generator`` streams between releases).

The variant mix (what ``variants`` in the truth can hold):

* every paper: ~60% of abstracts hold 1-3 math/LaTeX slots (``6.1× smaller``, ``𝒪(n log n)``, ``m ≫ n``,
  ``English↔German``, ``pre-training → downstream``, ``0.5%``, ``m²``, ``\\textbf{F}inetuning``...) and ~50%
  typographic characters (en/em dash, curly quotes, ’, names such as Pérez), some ASCII ``&``, ``<``, ``"``.
* the first copy of a paper is clean (``[]``) with probability 1/2; every other copy gets the draws below
  (which can also all come out empty: ~10% of later copies are exact duplicates):
* a LaTeX rendering (recorded only when the paper has slots and a non-Unicode form was used): each copy
  picks a dominant form, Unicode 50% / ``latex_raw`` (``118\\times lower``) / ``latex_dollar``
  (``118$\\times$ lower``) / ``latex_stripped`` (``118times lower``, ``m gg n``) ~17% each, and each slot
  deviates from it with p=0.15;
* at most one content edit: none 40%, ``typos`` 25% (1-3 one-character edits in different words),
  ``truncate`` 20% (cut at 60-85% at a word boundary, ending in ``…`` or ``...``), ``drop_sentence`` 15%
  (one middle sentence of at most ~20% of the words removed);
* zero (35%), one (45%) or two (20%) cosmetic changes out of ``whitespace`` (doubled spaces, NBSP, tab, soft
  hyphen, zero-width space; abstract only), ``html_entities`` (``&amp;``, ``&#x2013;``, ``&quot;``, ``&lt;``),
  ``mojibake`` (title and abstract encoded UTF-8, decoded as cp1252) and ``title_case`` (title lowercased or
  UPPERCASED; never in ``oneline``, where the title/abstract boundary must stay findable). ``html_entities``
  and ``mojibake`` are only recorded when the text has characters they change.

Edits are applied in the order latex → content edit → title case → entities → mojibake → whitespace.
Hard negatives: ~3% of papers are a *sibling* of the paper before them: the title differs in one or two words
(or, for a fifth of siblings, is exactly the same title)
(``PROP`` vs ``B-PROP``, "... via Degradation ..." vs "... via Masked Degradation ..."), the abstract repeats
only the first sentence (at most ~30% of the text). Siblings are distinct papers in the truth.

``evaluate(corpus, truth)`` scores a ``corpus.jsonl`` (lines with ``"sources": [{"file", "line", ...}]``;
``file`` may be absolute or relative, it is matched to the truth by its longest path suffix that names a
truth file) with pairwise precision/recall, counted from cluster sizes, plus records missing from the corpus,
listed twice, or unknown to the truth, and examples of the worst false merges and missed pairs.

Run::

    python benchmarks/generate.py OUT_DIR --records 5000 --seed 0 [--layouts cards pairs ...] [--papers]
    python benchmarks/generate.py evaluate CORPUS TRUTH [--json] [--min-precision 1.0] [--min-recall 0.995]

``evaluate`` exits 1 when a ``--min-*`` bound is missed or records are missing/duplicated/unknown, else 0.
(An OUT_DIR literally named ``evaluate`` must be written as ``./evaluate``.)
"""

from __future__ import annotations

import argparse
import codecs
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html.entities import codepoint2name
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

_T = TypeVar("_T")

__all__ = [
    "LAYOUTS",
    "VARIANT_KINDS",
    "GenerateStats",
    "Metrics",
    "PairExample",
    "evaluate",
    "generate",
    "main",
    "mojibake",
]

LAYOUTS: tuple[str, ...] = ("cards", "pairs", "oneline", "meta", "jsonl")
VARIANT_KINDS: tuple[str, ...] = (
    "latex_raw", "latex_dollar", "latex_stripped", "drop_sentence", "truncate", "typos",
    "title_case", "html_entities", "mojibake", "whitespace",
)
#: Dates in this year are shown without the year on listing pages (``Jun 12``), as ``MM-DD`` in JSONL.
CURRENT_YEAR = 2025
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# --------------------------------------------------------------------------------------------------------
# Vocabulary: every word seen at least twice in the abstracts of seeds/*.txt, most frequent first
# (URL fragments, listing furniture and LaTeX command names removed). Sampled with p(rank) ~ 1 / (rank + 2.7).
_WORDS = """
the and of to a in on for we that with models is data model learning tasks pre-training from this as by
pretraining training are performance our methods an can datasets language which image downstream large
self-supervised be or method have such using task propose has unsupervised dataset at supervised
pre-trained approach different it representations results show these also state-of-the-art work
fine-tuning both available classification representation images only without new two more paper vision
their between across not trained contrastive pretrained various been over experiments its text existing
information all novel when other demonstrate based code features unlabeled e first proposed labeled
transfer knowledge masked where achieves domain than further while approaches even framework learn
introduce multiple outperforms used into large-scale significantly visual accuracy including recent
input natural well then each strong diverse generation most neural parameters during effective use
modeling prediction target better segmentation g improve through achieve but deep encoder find research
time up benchmarks present scale several small network s semantic medical study architecture detection
significant techniques train understanding space compared problem BERT benchmark due efficient
improvements networks tokens NLP address same LLMs efficiency languages often strategies feature how one
simple standard effectively strategy transformers generative improves limited many modalities video
videos any them design effectiveness paradigm previous systems they objectives analysis applications
quality capabilities computer retrieval success zero-shot class multimodal potential set transformer
labels objective source specific dense distribution embeddings question single works evaluate evaluation
general i patches range three architectures content extensive learned object perform processing similar
way baseline like supervision via decoder domains generalization improvement recognition shown designed
finetuning latent may size baselines best gap process speech studies amount human key leads pairs shows
variety wide challenge degradation future inference issue leveraging machine masking promising remains
settings test enables number thus translation tuning SSL ability additional annotations attention
fine-tuned improved learns provide provides recently series system very average competitive context does
loss outperform requires sample samples setting token under ResNet alignment current foundation making
particular publicly require still annotated audio critical demonstrated develop examples generated need
powerful sentence stage types unified GPT become benefits challenges complex computational directly
diversity investigate multilingual pre-train predict resulting scaling Moreover algorithms challenging
consistently cross-lingual empirically few imaging prior relevant step student achieved either explore
graph high improving leverage original real-world reinforcement sizes temporal there will cases corpus
cost document empirical enabling few-shot important possible related addition algorithm compute conduct
gains generate given module named reasoning respectively scenarios semi-supervised useful weights within
x achieving applied benefit capability four label larger linear make memory online popular pretrain
prompt reconstruction task-specific terms yet able common comprehensive embedding encoders insights k
part robust scales scratch sequences substantial type LLM MAE OOD PT adaptation augmentation continual
distillation estimation gain heterogeneous higher modality obtain open order phase rate reduction rely
score top unseen uses Psi RL adapt demonstrates enhance error explicitly fine-grained fine-tune impact
leading made no noise noisy point properties random reduce reducing tackle those understand validate
about capacity comparable consider development efficiently environments example extend facilitate full
generalize high-quality inputs million much outperforming performs predicting problems rather selection
sensing solution some structure subset transferability unique widely LMs aims among annotation backbone
called complexity convolutional discriminative especially focus forecasting form image-text instance
lack long manner namely pretext prompts protein restoration sets skills so specifically state tailored
teacher technique typically was al because capture corpora costs depth despite difficult dynamics et
exhibit extracted field findings five followed highly identify imagery modern parallel real robustness
scalable self-training sequence similarity superior surgical synthetic times towards universal
unlabelled utilizes world LM PTMs allows amounts contrast crucial dependencies effect employ end
evaluated help increasing initialization introduces issues leverages low mitigate objects parts patch
points relative remarkable remote requiring rich semantics structures upstream word years MIM NMT Phi
SOTA UDA absolute advances after aim aligned contextual do essential fully global goal good gradient
implementation in-context less local magnitude mechanism output primarily raw role smaller stock vec ASR
ViT ViTs agents allowing alternative backbones being characteristics classes clinical corresponding
diffusion domain-specific efforts experimental faster great hand high-level ii increase instruction
layers level main massive necessary observed offline optimal parameter randomly release reveal
reward sampling second simultaneously steps summarization transferring utilizing vision-language
Gaussian PT-OOD SFT analyze answering application artificial autoencoder autoregressive before biases
bridge communication computation difference found frames fundamental generating if importance impressive
initial instead m multi-task n optimization pipeline position reconstruct representative result
self-distillation seq solve specialized support theoretical traditional valuable vanilla varying views
visible CPT ECG English advanced billion classifiers component concepts conditions conducted
conventional could developed distributions emerged explicit face labelled lead literature maintaining
molecular nature obtained ones overfitting public reduces required resources slide solely substantially
survey table texts thereby underlying utilize wav whether yields BLEU CNNs Chinese Consequently FT PET
POA SiT SixT advantages along applying augmentations automatically behavior bias big biomedical boost
classifier close combining compare consistent create demonstrating denoising direct discovery distinct
efficacy enhances evaluations extracting extraction factors generic huge implicit includes interest
introduced limiting lower manipulation meaningful metadata motion multitask offering offers particularly
perspective policy practice presents progress providing questions relationships satellite scores share
shared showing sufficient surpasses surprisingly tend testing textual users CIFAR GLUE action advance
advancements against answer apply argue art attacks blocks case concept counterpart detailed developing
end-to-end enhanced explored extensively extract facial feedback fields function group guidance hope
humans idea incorporating increases indicate instances instructions largely layer mechanisms multi-scale
music neighbors observations out outstanding past pathology performing positional positive potentially
predictions previously regions researchers robot scalability scene schemes since stages suggest
surpassing task-agnostic trajectories transferable view weak were AP CPath DP GPU ID JEPA PCP QA SSP
WSIs abilities actions addressing adopted area autoencoders behaviors boosts categories clustering
collected cross-domain curated descriptions designing directions documents employs encoding expensive
extra facilitating fewer generalizability generally gradients helps imitation in-the-wild increasingly
intelligence intra-class involves involving known major mean multi-modal naturally negative par
perception performances post-training power preprocessing preserving produce prompting proven
pseudo-labels push queries regularization seen sentences serve sources spatial speed structural tables
take tissue topics unlearning user utility utilized values variants verify web weight words CL COCO CT
EHR OmChat PLMs RS SNN SparK ablation adapted affect aligning analyses architectural availability basic
behind breakthroughs building certain community comparison consisting contains continued correct desired
discuss easily elastic enhancing evaluating exact exploit exploration extremely faces far final focused
following frozen functions fusion gained highlight highlights incorporate increased informative inherent
internet introducing involve joint jointly lightweight linguistic manually matching methodologies
minimal modules next observe off-the-shelf optical patient physical practical predictive predicts
primary probability query ratio regression remain representational restricted rewards sampled search
should signals simulated six sparse special successful superiority together upon usually value variable
AST AUC BART BT CMA CTC ChatGPT GPHT LoRA ML MLM MoE PEFT PROP ST Selfie SkillNet abundant access
acquired adversarial align alleviate always applicability arise attempt autonomous batch batches
becoming beyond bottleneck broad build cannot capable captions carefully changes checkpoints choice
cluster collect combines commonly consists construct contexts contributions costly covering creation
cross-modality customized direction done driving dynamic effects encoder-decoder encodings every examine
extractor fact fashion finetuned flow forgetting formulate forward general-purpose greater handle
heavily implement individual initialized intrinsic iterative just learnable levels license likelihood
low-rank mainly mainstream makes manual mapping margin mask measure monolingual multi-label notable
opportunities optimized overlooked people phrase probing prompt-based proposes proposing pruning pure
referred relies replacing responses reveals risk safety scenes schedule separate sequential
simplification structured studied style suggesting systematically takes technical tree two-stage unclear
update v validation vulnerable what worse zero AIGC EBTs FID ICL IR Llama MeCo NTP PFMs Portuguese
RoBERTa SAR SLT SLU SSMs UER ViT-B above accurate acoustic act ad-hoc adapting almost another around
aspects automatic auxiliary base basis bilingual brings change character classify cloud clusters
combination combine combined comparing components comprising conditional consistency continuous
convergence coverage dB databases decision decision-making deploy describe designs diagnostic dialog
dimension discover discrepancy discrete eight emergence enable encoded enhancement etc exhibits exist
experiment external facilitates factor fixed frame frameworks free generalizes graphs groups growing
guide hardware head heads hierarchical hinders implicitly in-domain incorporates independent insight
instructional integrate integrating interaction intermediate investigated itself largest led legal
lexical little low-resource mIoU map match mixture molecule nearest nonlinear open-source paradigms
pixel policies pooling predicted preference pretrain-finetune procedure produces producing pseudo
quantities ranking reason reconstructing relation relatively remaining report requirements resolution
resolutions respect review scientific seagrass seamlessly self-attention sequence-to-sequence shift
short simply specified statistical storage straightforward suffer suitable suite targets termed
text-to-image therefore transferred unmasked us usage variations would DependencyViT DropPos FLOPs FSL
GFlowNets IBP KG LLDM LVLMs Language-Image MLE MaskDCPT NER NLG PatrickStar RI SSAMBA TTT UNet VATT VLA
WirelessGPT acquire adapts adding addresses agent alone areas associated attribution augmented
auto-regressive avoid bank believe benchmarking bound budget catastrophic causal cause collection
complementary complete computationally condition conditioning considerable considering construction
contents contextualized control convolution core correlations cosine covers curate decoder-only decoders
define demonstrations differences dimensions discrimination easy engineering enough environment
equivalent establish established expert experts extending extension family fast feasibility finetune
focal format formulation fully-supervised gaps generations generator geometric handling healthcare heart
here however hypothesize ideas impractical include ingredient innovative inspired inverse latest
leveraged lifelong might minimize missing modality-specific momentum mostly multi-spectral multi-stage
mutual notion numerous object-centric obtaining obtains optimize optimizing out-of-domain overfit pair
partially patients patterns play pose poses positions possibility potent precision preferences
problematic promise property prove provided published ranging regime relations relied respective
reversed revolutionized rigorous rigorously security selecting semantically setup setups shot showed
social solving sometimes sparsity speaker statistics struggle subsequent successfully syntactic
technologies technology term topic total trainable transfers updates utilization vast verification
visually weakly whose yield yielding AUROC CALICO CLS CNN CSwin CropMAE DINO DiffRoll DynaMo EO ERNIE
GMML German I-ReID K-Nearest-Neighbor LAE LMM Leave-One-Out LiDAR MI MetaCLIP OC-GFN PDE PDT PTCGA
STU-Net SoTA SurgeNetXL SwAV Swin TACRED ULIP VIS WMT XLM-R absence accelerate accurately acquiring
activated activation active adaptive advancing all-in-one approximation arbitrary assumptions
auto-encoder away becomes bidirectional bigger built camera cancer candidate caption captioning careful
codes collapse columns comes comparisons compatible completely completion complicated composition
comprehension comprises conflicts consequentially considered constraints contain containing continue
cover cross-view curriculum data-efficient database date decay decoding decrease dedicated degree
dependency details detecting diagnosis dialogs difficulties dominant drastically drop effort eliminating
emerging empower enabled energy enforce ensemble entire ethics evidence excel excels explores exploring
fail families filtering finding fits flexibility flexible flood focuses focusing forces formats
gradually greatly ground-truth grounding grouping hidden high-dimensional highest hold hours hundred
hundreds iii incremental indicating influence insufficient integrated integration interpretability
invariant labeling least length light long-range long-term low-precision maximum meaning merits
methodology millions minimizing mixed mobile model-based molecules multi-mode necessity needed
negligence nodes non-stationary now numerical observation open-sourced operates orders outperformed
overall overcome own pairwise parent partial pathway per performed phases planning pp precisely presence
principle privacy procedural produced quantitative rapid rates re-visit realistic recipe reduced
redundant reference refine refining regimes region region-level released reliable reliance relieves
relying remarkably removing retriever robotics rule run saliency scarcity scheme seven shortcomings sign
signal similarities simplicity solutions song span sparsely spatiotemporal spotting stochastic styles
surpass symbolic tabular test-time text-only theory thousands threshold too tool toolkit trade-off
training-free trains transformer-based tremendous triplet unannotated uncurated unit varied vary
versatile version vocabulary vulnerability weakly-supervised widespread A-GFNs Albertina Arabic Arena
BEV BigEarthNet CAE CipherChat CodeRosetta ContextWM DGS DNN Devlin EO-S FER FIBER FL GAN GANs GDTs
GenHPF GraphCLIP ICRL Inception Indian InforMask InterBERT Lastly Librispeech MBRL MILab-PKU MMC MV-JAR
Mamba MoCo-v ModelNet Mugs MutDet NAT NeRF Nonetheless OCR-Text ODM P-MAE PCL PILOT PTB-XL PTM
ProteinLMBench REFERS RKHS ROP ReST-MCTS SQuAD SSPT STR Secondly Sep TERA TFUP-T TTM TWA Tatoeba
TransTab UCTopic UL UNI UVIS Uni UniHGKR UniTabE VAT VL XLSR XNLI Zecoler acts addressed advantage
aforementioned altering alternatives anatomic appealing appropriate approximately ask assess assessments
atomic attains attempts autoencoding avoiding avoids awareness b background behavioral beneficial binary
biological body bounds brain branch branches broader builds centroids chat chosen ciphers classical
closer coarse-grained coding combinations come comparably composed concentrate confidence confirm
conjecture connected connection consensus constructing continually copyright correspondence corrupted
created critically cues custom data-driven decisions demand demonstration depending derive derived
detect detector deteriorates differently differs discriminatory diseases distance distilled distilling
drug dubbed embed employed employing encourage encouraging enhancements enormous entities errors
establishes estimator ever exists extensible follows forecast foreground foundational fuses gaining
graphon grid ground guided harmful home horizon human-like hyper-parameters hyperparameters
identification incorporation incorrect induce induced industry inferred intensive inter-object
interactions interpretation intra-object intuitions invariance-based kind landscape leaf leakage
limitation limitations limits local-group location locations locomotion look losses low-level
many-to-English math matrices maximizing measures metric metrics mining mixing modes modifying moments
move multi-source multispectral multivariate must needs neuronal nine non-causal nor normalization
normalized notably open-set open-world ophthalmic ordinary outcomes paired patch-level perturbations
pivotal pixels place pocket poisoning poor popularity posed precise predefined presented prevalent
prices principles priors programming progressive prohibitively projects promoting pronounced prostate
protection purpose pushes pushing quantify r raises rarely reach reached readily realm records replaced
reported represented resource-intensive response restore restrict retaining return reuse revealed richer
robotic scaled segment select selected self-supervision send sentence-pair shape shapes simplified
simultaneous single-modal skill soft sophisticated splits stands starting states store studying
sub-optimal successes suggests suited summarize summarized supports surface surprising taken
task-related tests text-to-text themselves theoretically thousand tools toxicity traces tractable
trade-offs trajectory truth uncertainty uncover under-explored unifies unify unknown unpredictable
vectors vs ways whereas who whole-slide wider width ADE AMT AthenaTest BECLR BERT-style C-RTS CC-BY
COBRA CUDA CaseHOLD CoLoRA CoOp CodeBLEU CommonCrawl Concretely DP-SGD DPT DPTR DVPT DeBERTa DiLoCo
DreamTeacher EM ERM Earth ExPLoRA FMs GPUs IDS IQM IRL Initially Jun Kuro LIMA Lidar Lumina-mGPT M-GRPO
MAE-based MLLMs MMLU MSM MVP Madeleine Mar Minecraft MixedAE MoleBLEND NB NLU NVLM Neuroformer NoLoCo
OCR ODQA OW-DFA Oct Optimality PGNN PRE PROD PT-BR PT-PT PTSD PclGPT Phicirc Pictures Point-CMAE
ProteinLMDataset Qichuzyy RLHF RTS SAEs SEW SLM SMILES SMU SNNs STIC Sara-Ahmed SeaCLIP ShapeNet SimCLRv
Siwo SlowFast Socratic SongComposer Spider TFUP TS Third U-FSL U-Net URL UniPT VQGAN ViT-VQGAN WER YFCC
YoutubeVIS abstract abstractive accelerator accessibility accessible achievements activations activity
actual adaptable add added adopt advancement advantageous advocate affects aligns allow alongside
already annotating answers appearance applies approximate arises assigning assignment assignments
assistance assume assumes assumption asymmetric attention-free attribute attributed attributes
auto-encoding backpropagation balance bells best-performing billions binocular biologically block
boundaries bounding boxes bpMRI call capturing chain-of-thought channel characteristic chemical cipher
circ classifying clear closely code-related coherent collecting collections compares competing
complementarity comprehensively compression computations conditioned conducting configurations consent
constrain constructed consumption contrasting contrastively contributes contribution controllable
controlled coreset correlation corruption coupled creating criteria cross-entropy data-to-text dcpt de
dealing decode deepfake deeply delivers density depends deployed deploying description desirable detail
developers devices did difficulty digital discard discrepancies discriminability disease disentangled
dissimilar distinguish doing dramatic draw drug-like dual dynamically effortlessly encourages engineered
entity entropy eosin-stained equally equipped escalating estimate ethical events excellent excess
experimentation experimenting exploiting extended extends extracts f facebookresearch fill finance fine
fine-tunes fingerprints forgery formalize fragmented fragments functionalities games gathering
generalist generality generalized generates gloss gradient-based graph-summary guiding half
harnessing health helpful heterogeneity highlighting histopathology historical history holistic
human-labeled identical identifying ignore importantly incorporated incurs indicates indicator infinite
influenced inherently initializing inside instruct instruction-following instruction-response integrates
internet-scale interpretable introduction invariance iteration k-nearest keyword keywords know latency
later latter le link local-groups localization long-horizon looking low-quality lyrics mBART majority
manifold maps masked-out masks matches materials merging mild mimic mini-batch minimum mix moderate
modification modifications moment morphological moving multi-granular multi-lingual multi-view
multiple-choice naive near-optimal necessitates negatives next-token node note nowadays o obsolete
obstacles offer opens operate operation operator optimizer oracle organic organs orthogonal outside
overhead overlap overview paraphrase path paved paving perhaps person persona personal pertaining
phoneme piano played plethora pool pooled portion possess practitioners predictor predictors preferred
preserve prioritize probabilities probe procedures processes prohibitive project promote prompted
propagation proper properly proportion protocol protocols prototypes pruned radiologist rapidly rarity
realized received recipes recognize recommendation recommender reconstructed record recording recordings
recover recurring redundancy refer referring regarding region-based relationship releasing remove
repeated replace representing represents reproduce resource resource-rich retrieving revisit rise rolls
room runs sacrificing safer sample-efficient satmae schema schemas science seek segmenting
self-distilling sensitive sensor sentence-level sentiment sequentially serves session severe shed shifts
side single-batch single-stage slides slight small-scale sole sound spaces spanning spans specialist
stability statements strongest sub-agents sub-network submission suboptimal supervisory supporting surge
synthesis synthesize t techmn technological temporally tens tested theorem theorems thesis
thorough thoroughly though throughout tightness time-consuming tiny top-tier toxic tracking traction
transcription transformations transformed transforming translating transport treating tri-branch typical
underexplored underscore unexplored uniformly unifying unigram unlabel unlike unlimited unlocked
unrolled unsupervisedly up-sampling updating upsampling variant vehicle verifiable vision-only volume
voxel w warmup website whistles whole why wireless workload Adversarial-MidiBERT Ainu Atari AtsuMiyai
AttentionInfluence Automating B-Instruct B-parameter BERT-PLM BLUE BM BM-MAE BabyLM Bayesian BioNLP CCP
CLOC CLPM COVID CPC CPL CPU-GPU CRISS CUB CVS ClusterFit CoVoST CompMix-IR Crucially DMControl DPOT
DeepSpeed DependencyViT-Lite DinoV DrBERT DupMAE DyCE ED ELMO ES-ImageNet Energy-Based English-German
EvoSuite FPS Fortran French GAEs GDS GFSLT-VLP GRPO GS GSP Gaussian-MAE Gaussians Gold-YOLO Grand
GraphMAE HPC HowTo Hz IUPAC ImageNet-R ImageNet-based Implementing Interestingly Japanese Java Jul
Kinetics LB LGDS LIBERO LLaMa LUPerson-T Lassy Leaner-Pretrain LibriSpeech MCi MRI MRM MS MT MUSS Markov
Mathlib Meta-World MoCo MoCov Moment-DETR MosaicBERT Mr MuST-C NDS NL NMTune Ne NeRF-MAE NeRFs OncoTree
Oord OpTA OrganSMNIST PFM PHOENIX PLM POUF PRC PaddlePaddle Pareto PathX Patronizing Pile
Pre-training-Time-Series-Models-with-Stock-Data-Customization ProFSA PyTorch RAD RASL REGEN RMSE ROUGE-L
RPT Random-Initialization ReLU SANSformer SD SELFie SFUDA SLCA SSAST SSM-based ScanObjectNN SeaFeats
Self-Reference SelfCipher Sentinel ShapeSplat Sharpe Shen Si SiamMAE Siamese-like SimCLR SimCore SmolLM
Sorted SortedNet Splatting Split-CIFAR Substitution SuperGLUE SurgeNet Swin-L TAG TITAN TVQA TYDI
Thoughtbubbles TimJaspers VC VIM-L VLMs VQA Vega ViT-S ViTT Video-LMMs Vision-Language-Action WERs WSI
Wasserstein Waymo Wenlan Wetlands Wukong X-rays XLNet XOR XP YOLO-series YouTube Youtube abdelfattah-lab
ablations above-mentioned accelerating accelerators accepted accomplish accordance according accordingly
account accumulated accumulation accuracies acquisition activate activates activities adaptations
adaptively add-on adequate adjust adopting adoption adopts advent adversely affecting affine affinity
again age aggregates aid aiming all-purpose alteration ambiguity amortized amounting amplitude analyzed
analyzes angle arrhythmia arrhythmias articles arts assemble-on-demand assembling assessing assessment
assign assist assistant astounding astronomical astudentuser atom attain attempted attend attracted
avenue avenues averaging back-translation backgrounds balanced bandits barrier bases begins besides
biased bidirectionally biomarkers black-box books boosting bottlenecks bringing brought budgets
bug-fixing bypass cached calculates calibration calls canonical carbon care carried casting categorize
cater causes centers central certified channel-independent character-based characterizations child
choices choose chunks circuit class-iNCD class-incremental classifier-free clinically clips clone
closed-source co-supervision code-switching codebook coefficients cohorts collapsing commonalities
communicate communicating communities compatibility compelling compilation complexities compounds
comprehend comprehensiveness compress comprised computing concentrated concern concerns conclude
conclusion conclusions conflict conjunction connect connectionist connects considers constant
constraining constraint context-aware continuously contribution-based controllability controls
convenience converge conversation convert converted converting convolution-based cooking cornerstone
corroborate counterparts counts craft creativity cropped cross-attention cross-image cross-modal csPCa
cumulative currently customization cut cuts data-efficiency data-scarce declarative decompose defined
degrades deliver delivered delves demanding densely deployment descent describes describing determine
detrimental dev deviating deviation devise diagnostically-challenging dialogue differ differential
dimensional discovering disentangling disparate distill distractor distributed doctors documentation
documented domain-invariant down dramatically drawbacks drawing driven druggability duration early edge
education eigenspace elaborately electrical electrocardiograms element embrace emerge emergency emergent
emerges emulating encapsulated encode encodes encompassing encounter endangered endeavor endeavors
endeavours enforcing engage epoch equal era establishing estimating exacerbate exceed exceeding exceeds
exciting exclusively exemplified exhaustive exhibited exhibiting existence expands expected experiences
experimentally explain exploited exploits explosion expression expressive extensions extent extractors
fabricated faced facto fairseq faithful fake false featuring federated feed-forward fidelity fieldwork
filters finally financial finite firstly flan flexibly follow footprints forgotten formal formiel forms
foster foundations fractal fraction free-form frequencies frequency frontier full-resolution
fundamentally furthermore game gamut gathered gauge geared gender generalisation generalizable get give
globally gloss-free goal-conditioned goes granular granularity graph-based gross grow growth guarantees
guides h haematoxylin hallucinations hand-crafted happen happens hard harmonize harness hashing having
hearing helped hemorrhage hence hierarchies high-performance high-resolution higher-quality hindered
hindering hints histopathologic holds homologous human-assisted hybrid hyperparameter hypotheses
hypothesis ideal identifies identities image-only image-related image-to-point imagenet imitate immense
implemented implications impossible in-depth in-distribution in-house inaccurate inconsistency
incrementally incur individually induces inductive inefficient infant infer inference-time influencing
inform ingredients initializations initializes inner-modal innovation input-input input-output inserting
inspire instance-by-instance instance-level instruction-aware integral intention inter-modal interesting
interface interleaved internal intersectional intra intractable intricate intuitive investigation
investment invocations isomorphic iterations iteratively iv joint-embedding k-hour labor labor-intensive
lacking land language-specific laparoscopic last laws leaner learner learners learngene learnt left lies
ligand light-weight line linear-probing locality locally log-likelihood longer longstanding loosely
lower-level lowering mBART-ft mIOU magnetic maintains malignant marginal marginalization market markets
marking masked-language master matrix mature maximally maximize meadows means measured mediator medicine
melodies melody messages meta-learn meta-learned meticulously microsoft milestone minutes misaligned
misalignment misclassifications mismatch mitigates mitigating mode model-free modelling modulating
monocular motivate motivation mouse multi-agent multi-crop multi-dimensional multi-object multigrid
multilinguality name narrow nas native navigation near necessitate necessitating needing neglecting
neither neurons neuroscience never newly news nicely nnU-Net no-external-data noisiness noising
non-English non-narrative non-natural normally observational observing obviating occur off-policy once
one-step onto open-domain operations opportunity opposed optimally optimizes organize originality
originally others overarching overcoming overestimation overlapping overlooking overlooks parallelism
parameterizations parsing partitioning passages passes pathological pattern pay per-layer per-sample
per-step perceive percent perfect periods perplexity persist phenomena phenomenon phenotypes phenotyping
phonemes phonological photometry photorealistic piece pixel-based pixel-level plain platform plausible
players playing pockets poorly possibilities post-processing posterior ppt pre-text pre-trains preclude
precludes preference-based premise presenting preserves prevailing preventing prevents
previously-proposed price principled probabilistic procedure-specific processed product products
proficiency profitable progresses progressively prohibit prominence proposal protect proves proving
proxy pseudo-label psychology publicly-available pulls purely pushed put quantifying quantity
quantization query-passage question-answering quickly quite radiographs radiology rare re-train
re-training reading realignment reasonable reconstructs reframe regardless region-text relax remotely
replicate represent requirement residual resolution-agnostic resolve resolved resonance respond rest
retain return-conditioned revealing reward-free rivaling root routinely runtime safety-sensitive
sample-efficiency saves saving scarce scene-level schedules scope sector seeing seem segments self
self-learning sensed senses sensorimotor sensors separability separately servers services serving
severely shallow showcase showcases showcasing sidesteps signaling similarity-based simulation
single-sentence single-view sketches slow something sounds sourced spectrograms spectrum speech-to-text
speed-up speedup spite splats split stable stains standardized stark start state-of-the
state-of-the-arts static stems stereo stochastically stock-specific stored storing streaming streams
strength structurally sub-agent sub-models sub-volume subcontinent subgroups subsequently substances
subtrees subtyping succeed suffers suggested suitability suites superpixels supervision-free
supplementary supported surgery surrounding swapped swapping symmetric synchronization systematic
targeted teach tedious templates ten text-image textured thanks theme think thinking thresholding
throughput tied time-series time-stamped time-to-accuracy today tongue transcribe transductive transform
transition translated translation-based treat treated treats tree-search tricks triplets trivial truly
tune tuned twice two-layer two-step unable uncertainty-sensitive underresourced underscores
underutilized undesirable uneven uni-modal uniform unlock unnormalized unrelated unrolling uparrow
updated user-generated user-provided validated variables variational vector verifies verifying viewed
viewpoints virtual vision-and-language visual-audio visuomotor volumes vulnerabilities warm-up weighting
well-trained wherein wikipedia window windows wish witnessed workflows working worlds yielded
zanchangtong zhu-xlab zoo
"""
_STOPWORDS_TEXT = (
    "the and of to a in on for we that with is from this as by are our an can which be or have such has at "
    "it these also their its not more than while both into how however other only between when where most "
    "been two well while through all they them then there here over under use used using show shows new "
    "each some many much very via without within across whether what who whose was were may might would "
    "should could does did do one first second third further furthermore moreover thus therefore"
)
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_SMALL_TITLE_WORDS = ("for", "of", "via", "with", "in", "and", "on", "from", "to", "through", "by")
_OPENERS = (
    "In this paper, we", "We", "We propose", "We present", "We introduce", "However,", "To address this,",
    "Specifically,", "Moreover,", "Furthermore,", "Finally,", "Our results show that", "Recent work on",
    "Experiments show that", "Despite", "Unlike", "Extensive experiments on", "This", "The", "In addition,",
    "As a result,", "Building on", "Existing",
)
_NAMES = (
    "Pérez", "Müller", "Fréchet", "Gödel", "Poincaré", "Sánchez", "Gómez", "Łukasiewicz", "Erdős",
    "Schrödinger", "Nyström", "Dvořák", "Jiménez", "Björck", "Rényi", "Hernández", "Ångström", "Garçon",
)
_LANGUAGES = (
    "English", "German", "French", "Chinese", "Japanese", "Romanian", "Czech", "Ukrainian", "Korean",
    "Spanish", "Portuguese", "Hindi", "Swahili", "Finnish", "Turkish", "Russian",
)
_GREEK = (("α", "alpha"), ("β", "beta"), ("γ", "gamma"), ("λ", "lambda"), ("ε", "epsilon"),
          ("τ", "tau"), ("σ", "sigma"), ("η", "eta"))
_RELATIONS = (("≫", "gg"), ("≪", "ll"), ("≤", "leq"), ("≥", "geq"), ("≈", "approx"))
_ASCII_BITS = ("Q&A", "R&D", "input/output", "text-to-SQL", "(p < 0.05)", "(k > 1)", "A&B")
_SYLLABLES = (
    "lo", "co", "ra", "ge", "syn", "pro", "ma", "ti", "ve", "da", "nu", "ka", "ri", "zen", "mo", "tra",
    "lu", "fi", "xa", "qu", "ber", "ta", "ne", "so", "vi", "dor", "pa", "mi", "el", "ar",
)


def _sloppy_errors(err: UnicodeError) -> tuple[str, int]:
    """cp1252 decoding that keeps undefined bytes (0x81 0x8D 0x8F 0x90 0x9D) as C1 controls, like browsers."""
    assert isinstance(err, UnicodeDecodeError)
    return chr(err.object[err.start]), err.start + 1


codecs.register_error("dedup-generate-sloppy", _sloppy_errors)
_NEEDS_HTML = re.compile(r"[&<>\"']|[^\x00-\x7f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def mojibake(text: str) -> str:
    """``text`` encoded as UTF-8 and decoded as (sloppy) Windows-1252, as a mis-configured scraper does.

    >>> mojibake("Pérez – “quoted”")
    'PÃ©rez â€“ â€œquotedâ€\\x9d'
    >>> mojibake("plain ASCII")
    'plain ASCII'
    """
    return text.encode("utf-8").decode("cp1252", "dedup-generate-sloppy")


def _html_escape(text: str, style: int) -> str:
    """HTML-escape ``&<>"'`` and non-ASCII characters: ``style`` 0 named, 1 hex, 2 decimal references.

    >>> _html_escape('a & b < c – “d”', 0)
    'a &amp; b &lt; c &ndash; &ldquo;d&rdquo;'
    >>> _html_escape("5–7 é", 1)
    '5&#x2013;7 &#xE9;'
    """

    def sub(m: re.Match[str]) -> str:
        ch = m.group(0)
        cp = ord(ch)
        if cp < 128:
            return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[ch]
        if style == 0 and cp in codepoint2name:
            return f"&{codepoint2name[cp]};"
        return f"&#x{cp:X};" if style != 2 else f"&#{cp};"

    return _NEEDS_HTML.sub(sub, text)


# --------------------------------------------------------------------------------------------------------
# Papers


@dataclass(slots=True)
class _Paper:
    pid: str
    title: str
    #: sentences of the clean abstract; a LaTeX slot ``i`` appears as ``\x00i\x00``
    sentences: list[str]
    #: per slot: (unicode, raw, dollar, stripped) renderings
    slots: list[tuple[str, str, str, str]]
    authors: int
    year: int
    month: int
    day: int
    upvotes: int | None
    org: str | None
    sibling_of: str | None = None

    def render(self, modes: Sequence[int] | None = None) -> list[str]:
        """The abstract's sentences with slot ``i`` in rendering ``modes[i]`` (0 = Unicode)."""
        if not self.slots:
            return self.sentences
        out = []
        for s in self.sentences:
            if "\x00" in s:
                for i, slot in enumerate(self.slots):
                    s = s.replace(f"\x00{i}\x00", slot[modes[i] if modes else 0])
            out.append(s)
        return out


class _WordPool:
    """Words drawn in bulk with numpy from a Zipf-like law over a ranked list, handed out in slices."""

    TABLE = 1 << 20

    def __init__(self, words: Sequence[str], rng: np.random.Generator, exponent: float = 1.0,
                 offset: float = 2.7, chunk: int = 1 << 18) -> None:
        self._vocab = np.array(words, dtype=object)
        ranks = np.arange(len(words), dtype=np.float64)
        p = 1.0 / (ranks + offset) ** exponent
        # alias-free sampling: a table of TABLE word indices, each word ~p*TABLE times (at least once)
        reps = np.maximum(1, np.rint(p / p.sum() * self.TABLE)).astype(np.int64)
        self._table = np.repeat(np.arange(len(words)), reps)
        self._rng = rng
        self._chunk = chunk
        self._buf: list[str] = []
        self._pos = 0

    def take(self, n: int) -> list[str]:
        if self._pos + n > len(self._buf):
            idx = self._table[self._rng.integers(0, len(self._table), max(self._chunk, n))]
            self._buf = self._vocab[idx].tolist()
            self._pos = 0
        out = self._buf[self._pos:self._pos + n]
        self._pos += n
        return out


class _FastRandom(random.Random):
    """``random.Random`` whose ``randint``/``randrange``/``choice`` use one ``random()`` call (several times
    faster than the exact-integer versions; the tiny float bias does not matter here). Seeded, deterministic.

    >>> r = _FastRandom(1)
    >>> all(3 <= r.randint(3, 5) <= 5 for _ in range(100)), r.choice("a") == "a"
    (True, True)
    """

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        if stop is None:
            return int(self.random() * start)
        return start + step * int(self.random() * ((stop - start + step - 1) // step))

    def choice(self, seq: Sequence[_T]) -> _T:  # type: ignore[override]
        return seq[int(self.random() * len(seq))]


def _cap(word: str) -> str:
    """Title-case one word, hyphen parts too (``pre-training`` → ``Pre-Training``); acronyms unchanged."""
    if not word.islower():
        return word
    return "-".join(p[:1].upper() + p[1:] for p in word.split("-"))


class _PaperFactory:
    def __init__(self, seed: int) -> None:
        self.rng = _FastRandom(seed * 7919 + 17)
        nrng = np.random.default_rng([seed, 20240611])
        words = _WORDS.split()
        self.body = _WordPool(words, nrng)
        content = [w for w in words if w not in _STOPWORDS and len(w) >= 4 and "-" not in w[:1]]
        self.content = _WordPool(content, nrng, exponent=0.8, offset=10.0)
        self.capitalized = {w: _cap(w) for w in content}
        r = _FastRandom(seed + 99)
        self.orgs = [self._name(r, org=True) for _ in range(60)]

    # -- names -------------------------------------------------------------------------------------
    @staticmethod
    def _name(r: random.Random, org: bool = False) -> str:
        kind = r.random()
        if kind < 0.4 and not org:
            return "".join(r.choice("ABCDEFGHIKLMNOPRSTUVX") for _ in range(r.randint(3, 6)))
        name = "".join(s.capitalize() for s in r.sample(_SYLLABLES, r.randint(2, 3)))
        if org and r.random() < 0.35:
            prefix = "".join(r.choice("ABCDEGHKLMNQRSTX") for _ in range(r.randint(2, 3)))
            return f"{prefix}-{name}"
        if not org and r.random() < 0.2:
            return name + r.choice(("-2", "-X", "++", "3D", "-R1"))
        return name

    # -- text --------------------------------------------------------------------------------------
    def _phrase(self, n: int) -> str:
        caps = self.capitalized
        return " ".join([caps[w] for w in self.content.take(n)])

    def _title(self) -> str:
        r = self.rng
        x = r.random()
        if x < 0.3:
            t = f"{self._name(r)}: {self._phrase(r.randint(3, 6))}"
        elif x < 0.5:
            small = r.choice(_SMALL_TITLE_WORDS)
            t = f"{self._phrase(r.randint(2, 4))} {small} {self._phrase(r.randint(2, 4))}"
        elif x < 0.58:
            t = f"On the {self._phrase(1)} of {self._phrase(r.randint(2, 5))}"
        elif x < 0.64:
            t = f"Towards {self._phrase(r.randint(3, 6))}"
        elif x < 0.68:
            t = f"Can {self._phrase(r.randint(3, 6))}?"
        else:
            t = self._phrase(r.randint(4, 8))
        if r.random() < 0.04:
            t += f" with {r.choice(_NAMES)} {self._phrase(1)}"
        return t

    def _extra(self) -> str:
        r = self.rng
        x = r.random()
        if x < 0.25:
            return f"({r.choice(_NAMES)} et al., {r.randint(2015, 2025)})"
        if x < 0.45:
            a = r.randint(1, 60)
            return f"{a}–{a + r.randint(2, 40)}"
        if x < 0.6:
            return "“" + " ".join(self.body.take(2)) + "”"
        if x < 0.72:
            return self.content.take(1)[0] + "’s"
        if x < 0.8:
            return "—"
        if x < 0.9:
            return '"' + self.content.take(1)[0] + '"'
        return r.choice(_ASCII_BITS)

    def _slot(self) -> tuple[str, str, str, str]:
        """One math/LaTeX slot as (unicode, raw, dollar, stripped)."""
        r = self.rng
        x = r.randrange(11)
        if x == 0:
            v = f"{r.uniform(1.1, 20):.1f}" if r.random() < 0.6 else str(r.randint(2, 300))
            w = r.choice(("smaller", "faster", "lower", "fewer parameters", "speedup", "less memory"))
            uni, dollar = f"{v}× {w}", f"{v}$\\times$ {w}"
        elif x == 1:
            uni, dollar = r.choice((
                ("𝒪(n log n)", "$\\mathcal{O}(n \\log n)$"), ("𝒪(n²)", "$\\mathcal{O}(n^2)$"),
                ("𝒪(√n)", "$\\mathcal{O}(\\sqrt{n})$"), ("𝒪(1/ε²)", "$\\mathcal{O}(1/\\epsilon^2)$"),
            ))
        elif x == 2:
            a, b = r.sample("mnkdNTL", 2)
            sym, cmd = r.choice(_RELATIONS)
            uni, dollar = f"{a} {sym} {b}", f"${a} \\{cmd} {b}$"
        elif x == 3:
            a, b = r.sample(_LANGUAGES, 2)
            uni, dollar = f"{a}↔{b}", f"{a}$\\leftrightarrow${b}"
        elif x == 4:
            a, b = self.content.take(2)
            uni, dollar = f"{a} → {b}", f"{a} $\\rightarrow$ {b}"
        elif x == 5:
            v = f"{r.uniform(0.1, 40):.1f}"
            uni, dollar = f"{v}%", f"{v}\\%"
        elif x == 6:
            v = r.choice("mndk")
            e = r.choice((("²", "2"), ("³", "3")))
            uni, dollar = f"{v}{e[0]}", f"${v}^{e[1]}$"
        elif x == 7:
            w = self.content.take(1)[0]
            if r.random() < 0.5:
                w = w.capitalize()
                uni, dollar = w, f"\\textbf{{{w[0]}}}{w[1:]}"
            else:
                uni, dollar = w, f"\\textit{{{w}}}"
        elif x == 8:
            g, cmd = r.choice(_GREEK)
            v = r.choice(("0.1", "0.5", "1", "10", "0.01"))
            uni, dollar = f"{g} = {v}", f"$\\{cmd} = {v}$"
        elif x == 9:
            a, b = f"{r.uniform(20, 95):.1f}", f"{r.uniform(0.1, 2):.1f}"
            uni, dollar = f"{a} ± {b}", f"${a} \\pm {b}$"
        else:
            uni, dollar = "ℓ₂", "$\\ell_2$"
        raw = dollar.replace("$", "")
        return uni, raw, dollar, raw.replace("\\", "")

    def _sentences(self, n_sent: int, slot_base: int, n_slots: int, n_extras: int) -> list[str]:
        """``n_sent`` sentences of 14-24 words (plus an opener, slot placeholders and extras), hot path."""
        rnd = self.rng.random
        inserts: dict[int, list[str]] = {}
        for i in range(n_slots):
            inserts.setdefault(int(rnd() * n_sent), []).append(f"\x00{slot_base + i}\x00")
        for _ in range(n_extras):
            inserts.setdefault(int(rnd() * n_sent), []).append(self._extra())
        lengths = [14 + int(rnd() * 11) for _ in range(n_sent)]
        words = self.body.take(sum(lengths))
        out = []
        pos = 0
        for i, n in enumerate(lengths):
            ws = words[pos:pos + n]
            pos += n
            if rnd() < 0.5:
                ws[3 + int(rnd() * (n - 6))] += ","
            for tok in inserts.get(i, ()):
                ws.insert(1 + int(rnd() * len(ws)), tok)
            s = " ".join(ws)
            if rnd() < 0.45:
                s = f"{_OPENERS[int(rnd() * len(_OPENERS))]} {s}"
            out.append(s[0].upper() + s[1:] + ".")
        return out

    def paper(self, pid: str) -> _Paper:
        r = self.rng
        n_sent = r.randint(6, 9)
        n_slots = r.choice((1, 1, 2, 2, 3)) if r.random() < 0.6 else 0
        n_extras = r.choice((1, 1, 2, 3)) if r.random() < 0.5 else 0
        sentences = self._sentences(n_sent, 0, n_slots, n_extras)
        if r.random() < 0.25:
            sentences[-1] = f"Code is available at https://github.com/{self._name(r)}/{self._name(r)}."
        year = r.choice((2019, 2020, 2021, 2022, 2023, 2023, 2024, 2024, 2024, 2025, 2025))
        up = r.random()
        return _Paper(
            pid=pid, title=self._title(), sentences=sentences, slots=[self._slot() for _ in range(n_slots)],
            authors=min(1 + int(r.expovariate(1 / 5)), 40), year=year, month=r.randint(1, 12),
            day=r.randint(1, 28), upvotes=None if up < 0.45 else 1 + int(r.expovariate(1 / 6)),
            org=r.choice(self.orgs) if r.random() < 0.12 else None,
        )

    def sibling(self, base: _Paper, pid: str) -> _Paper:
        """A different paper that looks like ``base``: the title differs in one or two words (or, one time in
        five, is the very same title), the abstract shares only its first sentence."""
        r = self.rng
        words = base.title.split(" ")
        op = r.randrange(5)
        if op == 4:
            pass  # same title, different paper: titles alone must never merge two papers
        elif op == 0 and words[0].endswith(":"):
            words[0] = r.choice(("B-", "M-", "Multi", "Uni", "X-")) + words[0]
        elif op <= 1:
            k = r.randint(1, len(words) - 1) if len(words) > 1 else 0
            words.insert(k, self._phrase(1))
        else:
            for _ in range(1 if op == 2 else 2):
                k = r.randrange(len(words))
                if not words[k].endswith(":"):
                    words[k] = self._phrase(1) + ("?" if words[k].endswith("?") else "")
        title = " ".join(words)
        if title == base.title and op != 4:
            title = f"{title} {self._phrase(1)}"
        first = base.sentences[0]
        first_slots = [int(i) for i in re.findall(r"\x00(\d+)\x00", first)]
        n_rest = r.randint(5, 8)
        n_new = r.choice((0, 1, 2))
        rest = self._sentences(n_rest, len(first_slots), n_new, r.choice((0, 1, 2)))
        # renumber the first sentence's slots 0..k-1
        for new_i, old_i in enumerate(first_slots):
            first = first.replace(f"\x00{old_i}\x00", f"\x00{new_i}\x00")
        slots = [base.slots[i] for i in first_slots] + [self._slot() for _ in range(n_new)]
        p = self.paper(pid)
        p.title, p.sentences, p.slots, p.sibling_of = title, [first, *rest], slots, base.pid
        return p


# --------------------------------------------------------------------------------------------------------
# Copies


class _Copier:
    """Renders one copy of a paper for one layout with seeded variants."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def copy(self, p: _Paper, first: bool, layout: str) -> tuple[str, str, list[str]]:
        r = self.rng
        if first and r.random() < 0.5:
            return p.title, " ".join(p.render()), []
        kinds: list[str] = []
        # LaTeX rendering
        modes: list[int] | None = None
        if p.slots:
            x = r.random()
            dom = 0 if x < 0.5 else 1 if x < 0.67 else 2 if x < 0.84 else 3
            modes = [dom if r.random() >= 0.15 else r.randrange(4) for _ in p.slots]
            for m, name in ((1, "latex_raw"), (2, "latex_dollar"), (3, "latex_stripped")):
                if m in modes:
                    kinds.append(name)
        sentences = p.render(modes)
        # content edit
        x = r.random()
        if 0.40 <= x < 0.55 and len(sentences) >= 4:
            total = sum(s.count(" ") + 1 for s in sentences)
            middle = range(1, len(sentences) - 1)
            ok = [i for i in middle if sentences[i].count(" ") + 1 <= 0.2 * total]
            drop = r.choice(ok) if ok else min(middle, key=lambda i: len(sentences[i]))
            abstract = " ".join(sentences[:drop] + sentences[drop + 1:])
            kinds.append("drop_sentence")
        else:
            abstract = " ".join(sentences)
            if 0.55 <= x < 0.75:
                cut = abstract.rfind(" ", 0, int(len(abstract) * r.uniform(0.60, 0.85)))
                abstract = abstract[:cut].rstrip(",;:") + ("…" if r.random() < 0.6 else "...")
                kinds.append("truncate")
            elif x >= 0.75:
                edited = self._typos(abstract)
                if edited != abstract:
                    abstract = edited
                    kinds.append("typos")
        # cosmetics
        title = p.title
        y = r.random()
        n_cos = 0 if y < 0.35 else 1 if y < 0.8 else 2
        pool = ["whitespace", "html_entities", "mojibake"] + (["title_case"] if layout != "oneline" else [])
        chosen = [pool.pop(r.randrange(len(pool))) for _ in range(n_cos)]
        if "title_case" in chosen:
            title = title.lower() if r.random() < 0.6 else title.upper()
            kinds.append("title_case")
        if "html_entities" in chosen and (_NEEDS_HTML.search(abstract) or _NEEDS_HTML.search(title)):
            style = r.randrange(3)
            title, abstract = _html_escape(title, style), _html_escape(abstract, style)
            kinds.append("html_entities")
        if "mojibake" in chosen and (_NON_ASCII.search(abstract) or _NON_ASCII.search(title)):
            title, abstract = mojibake(title), mojibake(abstract)
            kinds.append("mojibake")
        if "whitespace" in chosen:
            abstract = self._whitespace(abstract)
            kinds.append("whitespace")
        return title, abstract, kinds

    def _typos(self, text: str) -> str:
        r = self.rng
        words = text.split(" ")
        done: list[int] = []
        want = r.randint(1, 3)
        for _ in range(40):
            if len(done) == want:
                break
            i = r.randrange(len(words))
            w = words[i]
            if i in done or len(w) < 5 or not w.isalpha() or not w.islower():
                continue
            k = r.randrange(1, len(w) - 2)
            op = r.randrange(4)
            if op == 0:
                w = w[:k] + w[k + 1] + w[k] + w[k + 2:]
            elif op == 1:
                w = w[:k] + w[k + 1:]
            elif op == 2:
                w = w[:k] + w[k] + w[k:]
            else:
                w = w[:k] + r.choice([c for c in "etaoinshrdlu" if c != w[k]]) + w[k + 1:]
            if w != words[i]:
                words[i] = w
                done.append(i)
        return " ".join(words)

    def _whitespace(self, text: str) -> str:
        """2-5 of: a doubled space, NBSP or tab for a space; a soft hyphen or ZWSP inside a word."""
        r = self.rng
        want = r.randint(2, 5)
        done = 0
        for _ in range(40):
            if done == want:
                break
            op = r.randrange(5)
            p = r.randrange(1, len(text) - 1)
            if op <= 2:
                s = text.find(" ", p)
                if s <= 0 or s >= len(text) - 1:
                    continue
                text = text[:s] + ("  ", "\u00a0", "\t")[op] + text[s + 1:]
            elif text[p - 1].isalpha() and text[p].isalpha():
                text = text[:p] + ("\u00ad" if op == 3 else "\u200b") + text[p:]
            else:
                continue
            done += 1
        return text


# --------------------------------------------------------------------------------------------------------
# Layouts


def _date_long(p: _Paper) -> str:
    return f"{MONTHS[p.month - 1]} {p.day}, {p.year}"


def _date_listing(p: _Paper) -> str:
    d = f"{MONTHS[p.month - 1]} {p.day}" if p.year == CURRENT_YEAR else _date_long(p)
    return f"{d} {p.upvotes}" if p.upvotes else d


class _DumpWriter:
    """One dump file: header, records joined by the layout's separator, large buffered binary writes."""

    FLUSH_CHARS = 1 << 21

    def __init__(self, path: Path, rel: str, layout: str, rng: random.Random, crlf: bool, bom: bool) -> None:
        self.path, self.rel, self.layout, self.crlf, self.bom = path, rel, layout, crlf, bom
        self.fh = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.buf: list[str] = []
        self.buf_chars = 0
        self.count = 0
        self.bytes = 0
        self._first_flush = True
        if layout in ("cards", "meta"):
            daily = "Daily Papers\n\n" if rng.random() < 0.7 else ""
            page_date = f"{rng.choice(MONTHS)} {rng.randint(1, 30)}"
            self.header = (f"new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\n{daily}"
                           f"byAK and the research community\n\n{page_date}\n\n")
            self.sep = "\n\n"
        elif layout == "pairs":
            self.header = ("Get trending papers in your email inbox once a day!\n"
                           "Get trending papers in your email inbox!\nSubscribe")
            self.sep = "\n"
        else:
            self.header = ""
            self.sep = "\n"
        self.final_newline = layout == "jsonl" or rng.random() < 0.5
        self.meta_keys = {k: rng.random() < 0.8 for k in ("authors", "date", "upvotes", "organization")}
        self.sep_lines = self.sep.count("\n")
        self.line = self.header.count("\n") + 1
        self._push(self.header)

    def _push(self, s: str) -> None:
        self.buf.append(s)
        self.buf_chars += len(s)
        if self.buf_chars >= self.FLUSH_CHARS:
            self.flush()

    def flush(self) -> None:
        text = "".join(self.buf)
        self.buf, self.buf_chars = [], 0
        if self.crlf:
            text = text.replace("\n", "\r\n")
        data = text.encode("utf-8")
        if self._first_flush:
            self._first_flush = False
            if self.bom:
                data = b"\xef\xbb\xbf" + data
        self.fh.write(data)
        self.bytes += len(data)

    def add(self, body: str) -> int:
        """Append one record; returns the 1-based line where it starts."""
        start = self.line
        buf = self.buf
        if self.count:
            buf.append(self.sep)
        buf.append(body)
        self.buf_chars += len(body)
        if self.buf_chars >= self.FLUSH_CHARS:
            self.flush()
        self.count += 1
        self.line = start + body.count("\n") + self.sep_lines
        return start

    def close(self) -> None:
        if self.final_newline:
            self._push("\n")
        self.flush()
        self.fh.close()

    def body(self, p: _Paper, title: str, abstract: str, r: random.Random) -> str:
        layout = self.layout
        if layout == "cards":
            return f"{title}\n\n{abstract}"
        if layout == "pairs":
            return f"{title}\n{abstract}"
        if layout == "oneline":
            return f"{p.upvotes or '-'} {title} {abstract} {p.authors} authors · {_date_long(p)}"
        if layout == "meta":
            x = r.random()
            if x < 0.06:
                return f"{title}\n\n{abstract}"
            who = f"{p.org} {p.org.split('-')[0]}" if p.org else f"  • {p.authors} authors"
            return f"{title}\n\n{abstract}\n\n{who}\n·\n{_date_listing(p)}"
        d: dict[str, Any] = {"title": title, "abstract": abstract}
        keys = self.meta_keys
        if keys["authors"]:
            d["authors"] = p.authors
        if keys["date"]:
            d["date"] = (f"{p.month:02d}-{p.day:02d}" if p.year == CURRENT_YEAR
                         else f"{p.year}-{p.month:02d}-{p.day:02d}")
        if keys["upvotes"] and p.upvotes:
            d["upvotes"] = p.upvotes
        if keys["organization"] and p.org:
            d["organization"] = p.org
        return json.dumps(d, ensure_ascii=False)


# --------------------------------------------------------------------------------------------------------
# generate()


@dataclass
class GenerateStats:
    """What ``generate()`` wrote."""

    out_dir: Path
    dumps_dir: Path
    truth_path: Path
    records: int
    papers: int
    sibling_pairs: int
    files: list[str]
    bytes_written: int
    seconds: float
    variant_counts: dict[str, int] = field(default_factory=dict)
    layout_counts: dict[str, int] = field(default_factory=dict)
    crlf_files: list[str] = field(default_factory=list)
    bom_files: list[str] = field(default_factory=list)

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else float("inf")

    def format(self) -> str:
        mb = self.bytes_written / 1e6
        lines = [
            f"wrote {self.records} records of {self.papers} papers ({self.sibling_pairs} sibling pairs) "
            f"into {len(self.files)} files under {self.dumps_dir}",
            f"{mb:.1f} MB in {self.seconds:.2f} s = {self.records_per_second:,.0f} records/s, "
            f"{mb / max(self.seconds, 1e-9):.1f} MB/s",
            "layouts: " + ", ".join(f"{k} {v}" for k, v in self.layout_counts.items()),
            "variants: " + ", ".join(f"{k} {v}" for k, v in self.variant_counts.items()),
            f"CRLF: {', '.join(self.crlf_files) or '-'}; BOM: {', '.join(self.bom_files) or '-'}",
            f"truth: {self.truth_path}",
        ]
        return "\n".join(lines)


def _file_count(records: int, n_layouts: int) -> int:
    """10..20 files (a few thousand records each at 100k, 50k at 1M), never more than records."""
    n = min(max(-(-records // 5000), 10), 20)
    n = max(n, n_layouts)
    return max(1, min(n, records))


def _assign_files(records: int, n_files: int, nrng: np.random.Generator) -> tuple[list[int], list[int]]:
    """Copies per paper (1 + geometric, mean ~2, capped) summing to ``records``, and a file per copy, the
    files balanced and, where possible, distinct within a paper."""
    kmax = min(8, n_files)
    counts: list[int] = []
    total = 0
    while total < records:
        draw = np.minimum(nrng.geometric(0.5, size=max(1024, records // 2)), kmax).tolist()
        for k in draw:
            k = min(k, records - total)
            counts.append(k)
            total += k
            if total == records:
                break
    caps = np.full(n_files, records // n_files)
    caps[: records % n_files] += 1
    slots: list[int] = nrng.permutation(np.repeat(np.arange(n_files), caps)).tolist()
    n = len(slots)
    pos = 0
    for k in counts:
        if k > 1:
            end = pos + k
            group = slots[pos:end]
            if len(set(group)) < k:
                seen: set[int] = set()
                for i in range(pos, end):
                    if slots[i] in seen:
                        avoid = seen | set(slots[i + 1:end])
                        j = end
                        while j < n and slots[j] in avoid:
                            j += 1
                        if j < n:
                            slots[i], slots[j] = slots[j], slots[i]
                        else:  # near the end: swap with an earlier paper's copy instead
                            _swap_back(slots, counts, pos, i, avoid)
                    seen.add(slots[i])
        pos += k
    return counts, slots


def _swap_back(slots: list[int], counts: list[int], pos: int, i: int, avoid: set[int]) -> None:
    """Swap ``slots[i]`` with a slot of an earlier paper (before ``pos``) so that both stay distinct."""
    start = pos
    for k in reversed(counts[:_group_index(counts, pos)]):
        start -= k
        group = slots[start:start + k]
        if slots[i] in group:
            continue
        for j in range(start, start + k):
            if slots[j] not in avoid:
                slots[i], slots[j] = slots[j], slots[i]
                return


def _group_index(counts: list[int], pos: int) -> int:
    """Index of the paper whose copies start at slot ``pos``."""
    total = 0
    for g, k in enumerate(counts):
        if total == pos:
            return g
        total += k
    return len(counts)


def generate(out_dir: Path | str, records: int, seed: int = 0, *, layouts: Sequence[str] = LAYOUTS,
             files: int | None = None, write_papers: bool = False,
             sibling_rate: float = 0.03) -> GenerateStats:
    """Write ``records`` synthetic dump records under ``out_dir/dumps/`` and their truth to
    ``out_dir/truth.jsonl``.

    Args:
        out_dir: folder for ``dumps/``, ``truth.jsonl`` (and ``papers.jsonl``); created if needed.
        records: number of records (copies) to write; ``truth.jsonl`` gets exactly this many lines.
        seed: everything is derived from it; the same seed gives byte-identical files.
        layouts: layouts to write, assigned to files round-robin (default: all five).
        files: number of dump files (default 10..20 from ``records``).
        write_papers: also write ``papers.jsonl``: per paper its clean title, abstract and metadata.
        sibling_rate: probability that a paper is a hard-negative sibling of the one before it.

    Returns:
        ``GenerateStats`` with counts, file names, bytes and timing.

    Raises:
        ValueError: ``records`` < 1 or an unknown layout.
    """
    t0 = time.perf_counter()
    if records < 1:
        raise ValueError(f"records must be >= 1, got {records}")
    layouts = tuple(layouts)
    bad = [x for x in layouts if x not in LAYOUTS]
    if bad or not layouts:
        raise ValueError(f"unknown layouts {bad}; choose from {', '.join(LAYOUTS)}")
    out_dir = Path(out_dir)
    dumps = out_dir / "dumps"
    dumps.mkdir(parents=True, exist_ok=True)
    for old in sorted(dumps.glob("gen_*")):
        if old.is_file():
            old.unlink()

    n_files = files if files is not None else _file_count(records, len(layouts))
    n_files = max(1, min(n_files, records))
    nrng = np.random.default_rng([seed, 1])
    frng = _FastRandom(seed * 31 + 5)
    counts, slots = _assign_files(records, n_files, nrng)

    crlf = [frng.random() < 0.15 for _ in range(n_files)]
    bom = [frng.random() < 0.15 for _ in range(n_files)]
    if n_files >= 3:
        if not any(crlf):
            crlf[frng.randrange(n_files)] = True
        if not any(bom):
            bom[frng.randrange(n_files)] = True
    writers: list[_DumpWriter] = []
    for i in range(n_files):
        layout = layouts[i % len(layouts)]
        rel = f"gen_{i:03d}.jsonl" if layout == "jsonl" else f"gen_{i:03d}_{layout}.txt"
        writers.append(_DumpWriter(dumps / rel, rel, layout, frng, crlf[i], bom[i]))

    factory = _PaperFactory(seed)
    copier = _Copier(_FastRandom(seed * 131 + 7))
    lrng = _FastRandom(seed * 17 + 3)
    truth_path = out_dir / "truth.jsonl"
    papers_path = out_dir / "papers.jsonl"
    variant_counts: Counter[str] = Counter()
    variant_json: dict[tuple[str, ...], str] = {}
    truth_buf: list[str] = []
    papers_buf: list[str] = []
    siblings = 0
    prev: _Paper | None = None
    pos = 0
    papers_fh = open(papers_path, "wb") if write_papers else None  # noqa: SIM115 - closed below
    if not write_papers and papers_path.exists():
        papers_path.unlink()  # stale from an earlier run
    with open(truth_path, "wb") as truth_fh:
        for n, k in enumerate(counts):
            pid = f"p{n + 1:07d}"
            if prev is not None and prev.sibling_of is None and factory.rng.random() < sibling_rate:
                paper = factory.sibling(prev, pid)
                siblings += 1
            else:
                paper = factory.paper(pid)
            prev = paper
            for j in range(k):
                w = writers[slots[pos + j]]
                title, abstract, kinds = copier.copy(paper, j == 0, w.layout)
                line = w.add(w.body(paper, title, abstract, lrng))
                key = tuple(kinds)
                vj = variant_json.get(key)
                if vj is None:
                    vj = variant_json[key] = json.dumps(kinds)
                variant_counts.update(kinds)
                truth_buf.append(
                    f'{{"file": "{w.rel}", "line": {line}, "paper": "{pid}", "variants": {vj}}}\n')
            pos += k
            if write_papers:
                papers_buf.append(json.dumps({
                    "paper": pid, "title": paper.title, "abstract": " ".join(paper.render()),
                    "authors": paper.authors, "date": f"{paper.year}-{paper.month:02d}-{paper.day:02d}",
                    "upvotes": paper.upvotes, "organization": paper.org, "sibling_of": paper.sibling_of,
                }, ensure_ascii=False) + "\n")
            if len(truth_buf) >= 65536:
                truth_fh.write("".join(truth_buf).encode("utf-8"))
                truth_buf.clear()
                if papers_fh is not None:
                    papers_fh.write("".join(papers_buf).encode("utf-8"))
                    papers_buf.clear()
        truth_fh.write("".join(truth_buf).encode("utf-8"))
    if papers_fh is not None:
        papers_fh.write("".join(papers_buf).encode("utf-8"))
        papers_fh.close()
    for w in writers:
        w.close()

    layout_counts: Counter[str] = Counter()
    for w in writers:
        layout_counts[w.layout] += w.count
    return GenerateStats(
        out_dir=out_dir, dumps_dir=dumps, truth_path=truth_path, records=records, papers=len(counts),
        sibling_pairs=siblings, files=[w.rel for w in writers], bytes_written=sum(w.bytes for w in writers),
        seconds=time.perf_counter() - t0,
        variant_counts={k: variant_counts[k] for k in VARIANT_KINDS if variant_counts[k]},
        layout_counts={k: layout_counts[k] for k in LAYOUTS if layout_counts[k]},
        crlf_files=[w.rel for w in writers if w.crlf], bom_files=[w.rel for w in writers if w.bom],
    )


# --------------------------------------------------------------------------------------------------------
# evaluate()


@dataclass(frozen=True)
class PairExample:
    """A false merge (two papers in one corpus line) or a missed pair (one paper in several lines)."""

    kind: str  # "false_merge" | "missed_pair"
    pairs: int  # wrong pairs in that corpus line / missed pairs of that paper
    a: str  # "file:line paper [variants]"
    b: str
    note: str = ""

    def format(self) -> str:
        return f"{self.pairs} pairs: {self.a}  ~  {self.b}" + (f"  ({self.note})" if self.note else "")


@dataclass
class Metrics:
    """Pairwise scores of a corpus against the truth (pairs counted from cluster sizes)."""

    precision: float
    recall: float
    predicted_pairs: int
    true_pairs: int
    true_positive_pairs: int
    records: int
    papers: int
    clusters: int
    missing: int
    duplicated: int
    unknown: int
    false_merges: list[PairExample] = field(default_factory=list)
    missed_pairs: list[PairExample] = field(default_factory=list)
    missing_examples: list[str] = field(default_factory=list)
    unknown_examples: list[str] = field(default_factory=list)

    @property
    def f1(self) -> float:
        s = self.precision + self.recall
        return 2 * self.precision * self.recall / s if s else 0.0

    @property
    def complete(self) -> bool:
        """Every truth record is in exactly one corpus line and nothing else is."""
        return self.missing == 0 and self.duplicated == 0 and self.unknown == 0

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {k: getattr(self, k) for k in (
            "precision", "recall", "f1", "predicted_pairs", "true_pairs", "true_positive_pairs", "records",
            "papers", "clusters", "missing", "duplicated", "unknown", "complete", "missing_examples",
            "unknown_examples")}
        d["false_merges"] = [e.__dict__ for e in self.false_merges]
        d["missed_pairs"] = [e.__dict__ for e in self.missed_pairs]
        return d

    def format(self) -> str:
        out = [
            f"{self.records} records of {self.papers} papers in {self.clusters} corpus lines",
            f"pairwise precision {self.precision:.4f} ({self.true_positive_pairs}/{self.predicted_pairs}), "
            f"recall {self.recall:.4f} ({self.true_positive_pairs}/{self.true_pairs}), F1 {self.f1:.4f}",
            f"missing {self.missing}, listed twice {self.duplicated}, unknown {self.unknown}",
        ]
        if self.false_merges:
            out.append("worst false merges:")
            out += [f"  {e.format()}" for e in self.false_merges]
        if self.missed_pairs:
            out.append("worst missed pairs:")
            out += [f"  {e.format()}" for e in self.missed_pairs]
        if self.missing_examples:
            out.append("missing e.g.: " + "; ".join(self.missing_examples))
        if self.unknown_examples:
            out.append("unknown e.g.: " + "; ".join(self.unknown_examples))
        return "\n".join(out)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _path_resolver(known: Iterable[str]) -> Callable[[str], str | None]:
    """Map a path as given on a command line to the truth's dumps-relative path by the longest suffix.

    >>> f = _path_resolver(["gen_000_cards.txt", "sub/gen_001.jsonl"])
    >>> f("/tmp/x/dumps/gen_000_cards.txt"), f("dumps\\\\sub/gen_001.jsonl"), f("./gen_000_cards.txt")
    ('gen_000_cards.txt', 'sub/gen_001.jsonl', 'gen_000_cards.txt')
    >>> f("other.txt") is None
    True
    """
    known_set = set(known)
    cache: dict[str, str | None] = {}

    def resolve(path: str) -> str | None:
        hit = cache.get(path, "")
        if hit != "":
            return hit
        parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
        found = None
        for k in range(len(parts), 0, -1):
            cand = "/".join(parts[-k:])
            if cand in known_set:
                found = cand
                break
        cache[path] = found
        return found

    return resolve


def _read_jsonl(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    with open(path, encoding="utf-8-sig") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{n}: not JSON: {e}") from None
                yield n, obj


def evaluate(corpus_path: Path | str, truth_path: Path | str, examples: int = 5) -> Metrics:
    """Pairwise precision and recall of the clusters in ``corpus_path`` against ``truth_path``.

    Predicted pairs are pairs of records in one corpus line, true pairs pairs of records of one paper;
    precision = TP / predicted and recall = TP / true (1.0 when the denominator is 0). A record listed twice
    counts once (where first seen); records missing from the corpus count as missed pairs.

    Raises:
        ValueError: a line that is not JSON or a corpus line without ``sources``.
    """
    keys: dict[tuple[str, int], int] = {}
    rec_paper: list[str] = []
    rec_desc: list[str] = []
    for n, t in _read_jsonl(Path(truth_path)):
        key = (t["file"], int(t["line"]))
        if key in keys:
            raise ValueError(f"{truth_path}:{n}: record {key[0]}:{key[1]} listed twice in the truth")
        keys[key] = len(rec_paper)
        rec_paper.append(t["paper"])
        v = ", ".join(t.get("variants") or []) or "clean"
        rec_desc.append(f"{t['file']}:{t['line']} {t['paper']} [{v}]")
    resolve = _path_resolver(f for f, _ in keys)
    n_rec = len(rec_paper)
    assigned = [-1] * n_rec
    clusters: list[list[int]] = []
    duplicated = unknown = 0
    unknown_examples: list[str] = []
    for n, obj in _read_jsonl(Path(corpus_path)):
        sources = obj.get("sources") if isinstance(obj, dict) else None
        if not isinstance(sources, list):
            raise ValueError(f"{corpus_path}:{n}: no \"sources\" list")
        members: list[int] = []
        for s in sources:
            rel = resolve(str(s.get("file", "")))
            idx = keys.get((rel, int(s.get("line", -1)))) if rel is not None else None
            if idx is None:
                unknown += 1
                if len(unknown_examples) < examples:
                    unknown_examples.append(f"{s.get('file')}:{s.get('line')} (corpus line {n})")
            elif assigned[idx] != -1:
                duplicated += 1
            else:
                assigned[idx] = len(clusters)
                members.append(idx)
        clusters.append(members)

    predicted = tp = 0
    false_merges: list[tuple[int, int, PairExample]] = []
    for ci, members in enumerate(clusters):
        size = len(members)
        if size < 2:
            continue
        by_paper: dict[str, list[int]] = {}
        for i in members:
            by_paper.setdefault(rec_paper[i], []).append(i)
        same = sum(_pairs(len(v)) for v in by_paper.values())
        predicted += _pairs(size)
        tp += same
        wrong = _pairs(size) - same
        if wrong:
            groups = sorted(by_paper.values(), key=lambda v: (-len(v), rec_paper[v[0]]))
            false_merges.append((-wrong, ci, PairExample(
                "false_merge", wrong, rec_desc[groups[0][0]], rec_desc[groups[1][0]],
                f"corpus line {ci + 1}: {len(by_paper)} papers in {size} records")))

    paper_recs: dict[str, list[int]] = {}
    for i, pid in enumerate(rec_paper):
        paper_recs.setdefault(pid, []).append(i)
    true_pairs = 0
    missed: list[tuple[int, str, PairExample]] = []
    for pid, recs in paper_recs.items():
        m = len(recs)
        if m < 2:
            continue
        true_pairs += _pairs(m)
        by_cluster: dict[int, list[int]] = {}
        for i in recs:
            by_cluster.setdefault(assigned[i], []).append(i)
        found = sum(_pairs(len(v)) for c, v in by_cluster.items() if c != -1)
        lost = _pairs(m) - found
        if lost:
            parts = sorted(by_cluster.items(), key=lambda cv: (cv[0] == -1, -len(cv[1]), cv[0]))
            first = parts[0][1][0]
            second = parts[1][1][0] if len(parts) > 1 else parts[0][1][1]
            where = ", ".join(("missing" if c == -1 else f"line {c + 1}") + f"×{len(v)}" for c, v in parts)
            missed.append((-lost, pid, PairExample(
                "missed_pair", lost, rec_desc[first], rec_desc[second], f"{m} records, corpus {where}")))

    false_merges.sort(key=lambda x: (x[0], x[1]))
    missed.sort(key=lambda x: (x[0], x[1]))
    missing_idx = [i for i in range(n_rec) if assigned[i] == -1]
    return Metrics(
        precision=tp / predicted if predicted else 1.0,
        recall=tp / true_pairs if true_pairs else 1.0,
        predicted_pairs=predicted, true_pairs=true_pairs, true_positive_pairs=tp,
        records=n_rec, papers=len(paper_recs), clusters=len(clusters),
        missing=len(missing_idx), duplicated=duplicated, unknown=unknown,
        false_merges=[e for _, _, e in false_merges[:examples]],
        missed_pairs=[e for _, _, e in missed[:examples]],
        missing_examples=[rec_desc[i] for i in missing_idx[:examples]],
        unknown_examples=unknown_examples,
    )


# --------------------------------------------------------------------------------------------------------
# command line


def main(argv: Sequence[str] | None = None) -> int:
    """``generate.py OUT_DIR --records N ...`` or ``generate.py evaluate CORPUS TRUTH ...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "evaluate":
        ep = argparse.ArgumentParser(prog="generate.py evaluate",
                                     description="Pairwise precision/recall of a corpus against truth.jsonl.")
        ep.add_argument("corpus", type=Path)
        ep.add_argument("truth", type=Path)
        ep.add_argument("--json", action="store_true", help="print the metrics as JSON")
        ep.add_argument("--examples", type=int, default=5)
        ep.add_argument("--min-precision", type=float, default=None)
        ep.add_argument("--min-recall", type=float, default=None)
        ea = ep.parse_args(args[1:])
        m = evaluate(ea.corpus, ea.truth, examples=ea.examples)
        print(json.dumps(m.to_dict(), ensure_ascii=False, indent=2) if ea.json else m.format())
        failed = not m.complete
        failed |= ea.min_precision is not None and m.precision < ea.min_precision
        failed |= ea.min_recall is not None and m.recall < ea.min_recall
        return 1 if failed else 0
    gp = argparse.ArgumentParser(prog="generate.py", description=__doc__.split("\n\n")[0])
    gp.add_argument("out_dir", type=Path, help="writes OUT_DIR/dumps/*, OUT_DIR/truth.jsonl")
    gp.add_argument("--records", type=int, default=5000)
    gp.add_argument("--seed", type=int, default=0)
    gp.add_argument("--layouts", nargs="+", choices=LAYOUTS, default=list(LAYOUTS))
    gp.add_argument("--files", type=int, default=None, help="number of dump files (default 10..20)")
    gp.add_argument("--papers", action="store_true", help="also write OUT_DIR/papers.jsonl (clean texts)")
    ga = gp.parse_args(args)
    stats = generate(ga.out_dir, ga.records, ga.seed, layouts=ga.layouts, files=ga.files,
                     write_papers=ga.papers)
    print(stats.format(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
