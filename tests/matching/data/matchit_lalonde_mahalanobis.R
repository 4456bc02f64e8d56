# Reference matched sets for socdata.matching.match(distance="mahalanobis"), made with
# MatchIt 4.7.2 (github kosukeimai/MatchIt at bccb2fc, built from source against
# R 4.2.2; DESCRIPTION's rlang requirement relaxed from >= 1.1.0 to Debian's 1.0.6, and
# chk 0.10.0.9027 from github poissonconsulting/chk).  R is not available in CI: the
# outputs are stored next to this script and tests/matching/test_matching_matchit.py
# compares with them.
#
#   R_LIBS=<lib with MatchIt 4.7.2 and chk> Rscript matchit_lalonde_mahalanobis.R
#
# Writes, in the working directory:
#   lalonde.csv                    MatchIt's bundled lalonde data (614 units; id = row name)
#   matchit_lalonde_mahalanobis.csv  spec, treated_id, match_rank, control_id
suppressPackageStartupMessages(library(MatchIt))
stopifnot(packageVersion("MatchIt") == "4.7.2")
data("lalonde", package = "MatchIt")
lalonde$id <- rownames(lalonde)
write.csv(lalonde[, c("id", "treat", "age", "educ", "race", "married", "nodegree",
                      "re74", "re75", "re78")],
          "lalonde.csv", row.names = FALSE)

f <- treat ~ age + educ + race + married + nodegree + re74 + re75
specs <- list(
  nn1 = list(formula = f, ratio = 1, replace = FALSE, exact = NULL),
  nn2 = list(formula = f, ratio = 2, replace = FALSE, exact = NULL),
  nn1_replace = list(formula = f, ratio = 1, replace = TRUE, exact = NULL),
  nn1_exact_married = list(formula = f, ratio = 1, replace = FALSE, exact = ~married),
  nn1_small = list(formula = treat ~ age + educ + re74 + re75, ratio = 1, replace = FALSE,
                   exact = NULL)
)
out <- list()
for (name in names(specs)) {
  s <- specs[[name]]
  m <- matchit(s$formula, data = lalonde, method = "nearest", distance = "mahalanobis",
               ratio = s$ratio, replace = s$replace, exact = s$exact)
  mm <- m$match.matrix
  for (k in seq_len(ncol(mm))) {
    out[[length(out) + 1]] <- data.frame(spec = name, treated_id = rownames(mm),
                                         match_rank = k, control_id = mm[, k])
  }
}
res <- do.call(rbind, out)
res <- res[order(res$spec, match(res$treated_id, lalonde$id), res$match_rank), ]
write.csv(res, "matchit_lalonde_mahalanobis.csv", row.names = FALSE, na = "")
cat(sprintf("%s: %d rows\n", names(specs), as.integer(table(res$spec)[names(specs)])))
