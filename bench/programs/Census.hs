-- | Heap-profile workload with large events, for the large-event benchmark
-- eventlog (bench/gen_large.sh): built with -prof -fprof-auto and run with
-- +RTS -hc -l, every heap census writes one HEAP_PROF_SAMPLE_COST_CENTRE
-- event per cost-centre stack that holds live data, each carrying the whole
-- stack (4 bytes per frame).
--
-- The data live under 4096 distinct, deep stacks: `descend` walks a chain of
-- 12 levels, choosing at each one of two functions (a and b) by a bit of the
-- path number, and the leaf allocates a list that is kept alive. So each
-- census writes about 4096 events of ~90 bytes (stacks of ~17 frames). Every
-- round rebuilds an eighth of the leaves, so residencies keep changing.
--
-- Usage: census [ROUNDS]        (default 200; the log grows with ROUNDS
--                                and with the census rate, +RTS -i)
module Main (main) where

import Control.Exception (evaluate)
import Control.Monad (forM_)
import Data.Bits (testBit)
import Data.IORef
import qualified Data.IntMap.Strict as IM
import System.Environment (getArgs)
import System.Exit (exitFailure)
import System.IO (hPutStrLn, stderr)
import Text.Read (readMaybe)

paths :: Int
paths = 4096

main :: IO ()
main = do
  args <- getArgs
  rounds <- case args of
    [] -> pure 200
    [s] | Just n <- readMaybe s, n >= 1 -> pure (n :: Int)
    _ -> do hPutStrLn stderr "usage: census [ROUNDS>=1]"; exitFailure
  table <- newIORef IM.empty
  forM_ [0 .. rounds - 1] $ \r ->
    forM_ [p | p <- [0 .. paths - 1], p `mod` 8 == r `mod` 8] $ \p -> do
      xs <- evaluate (descend (p + r) p)
      modifyIORef' table (IM.insert p xs)
  t <- readIORef table
  print (IM.foldl' (\acc xs -> (acc + sum xs) `mod` 1000000007) 0 t)

-- | Walks the 12 levels along the bits of `path`; the leaf's data is
-- allocated under the resulting cost-centre stack. Each level calls the next
-- directly: a helper shared by all levels would collapse the stacks (the RTS
-- truncates a stack at the earlier occurrence of a cost centre it pushes).
descend :: Int -> Int -> [Int]
descend seed path = (if testBit path 0 then l1a else l1b) seed path

leaf :: Int -> Int -> [Int]
leaf seed path = let xs = [seed .. seed + 16 + path `mod` 32] in length xs `seq` xs

l1a, l1b, l2a, l2b, l3a, l3b, l4a, l4b, l5a, l5b, l6a, l6b :: Int -> Int -> [Int]
l7a, l7b, l8a, l8b, l9a, l9b, l10a, l10b, l11a, l11b, l12a, l12b :: Int -> Int -> [Int]
l1a s p = if testBit p 1 then l2a (s + 1) p else l2b (s + 1) p
l1b s p = if testBit p 1 then l2a (s + 2) p else l2b (s + 2) p
l2a s p = if testBit p 2 then l3a (s + 1) p else l3b (s + 1) p
l2b s p = if testBit p 2 then l3a (s + 2) p else l3b (s + 2) p
l3a s p = if testBit p 3 then l4a (s + 1) p else l4b (s + 1) p
l3b s p = if testBit p 3 then l4a (s + 2) p else l4b (s + 2) p
l4a s p = if testBit p 4 then l5a (s + 1) p else l5b (s + 1) p
l4b s p = if testBit p 4 then l5a (s + 2) p else l5b (s + 2) p
l5a s p = if testBit p 5 then l6a (s + 1) p else l6b (s + 1) p
l5b s p = if testBit p 5 then l6a (s + 2) p else l6b (s + 2) p
l6a s p = if testBit p 6 then l7a (s + 1) p else l7b (s + 1) p
l6b s p = if testBit p 6 then l7a (s + 2) p else l7b (s + 2) p
l7a s p = if testBit p 7 then l8a (s + 1) p else l8b (s + 1) p
l7b s p = if testBit p 7 then l8a (s + 2) p else l8b (s + 2) p
l8a s p = if testBit p 8 then l9a (s + 1) p else l9b (s + 1) p
l8b s p = if testBit p 8 then l9a (s + 2) p else l9b (s + 2) p
l9a s p = if testBit p 9 then l10a (s + 1) p else l10b (s + 1) p
l9b s p = if testBit p 9 then l10a (s + 2) p else l10b (s + 2) p
l10a s p = if testBit p 10 then l11a (s + 1) p else l11b (s + 1) p
l10b s p = if testBit p 10 then l11a (s + 2) p else l11b (s + 2) p
l11a s p = if testBit p 11 then l12a (s + 1) p else l12b (s + 1) p
l11b s p = if testBit p 11 then l12a (s + 2) p else l12b (s + 2) p
l12a s p = leaf (s + 1) p
l12b s p = leaf (s + 2) p
