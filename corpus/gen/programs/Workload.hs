-- | General-purpose eventlog workload: scheduler, GC, sparks and a few user
-- events.  Used for the threaded -N2 log, the class-filter logs, the
-- nonmoving-GC log, the non-threaded log and the FIFO log, so that those
-- files differ (mostly) only in RTS configuration.
--
-- Every phase is bounded by the size argument (default 1), so the run time and
-- therefore the eventlog size stay small: with size 1 the program runs in
-- roughly 0.1-0.3 s.  The output on stdout is deterministic; only the
-- interleaving of threads (and hence the eventlog) varies between runs.
--
-- Usage: workload [SIZE]
module Main (main) where

import Control.Concurrent (forkIO, myThreadId, threadDelay, yield)
import Control.Concurrent.MVar
import Control.Exception (evaluate)
import Control.Monad (forM, forM_, replicateM_, when)
import Data.List (foldl')
import qualified Data.Map.Strict as M
import Debug.Trace (traceEventIO, traceMarkerIO)
import GHC.Conc (labelThread, numCapabilities, par, pseq)
import System.Environment (getArgs)
import System.Exit (exitFailure)
import System.IO (hPutStrLn, stderr)
import System.Mem (performMajorGC, performMinorGC)
import Text.Read (readMaybe)

main :: IO ()
main = do
  args <- getArgs
  size <- case args of
    []  -> pure 1
    [s] | Just n <- readMaybe s, n >= 1 -> pure (n :: Int)
    _   -> do hPutStrLn stderr "usage: workload [SIZE>=1]"; exitFailure
  me <- myThreadId
  labelThread me "main"
  traceMarkerIO "workload start"
  traceEventIO ("capabilities=" ++ show numCapabilities ++ " size=" ++ show size)

  -- Phase 1: sparks.  `par` creates sparks; with -N2 some are stolen and run
  -- by the other capability (SPARK_STEAL/SPARK_RUN), others fizzle or are
  -- converted by the main thread itself via `pseq`.
  traceMarkerIO "phase sparks"
  let fibs = parList [nfib (15 + (i `mod` 5)) | i <- [1 .. 40 * size]]
  s1 <- evaluate (sum fibs)
  putStrLn ("sparks: " ++ show s1)

  -- Phase 1b: the other spark outcomes.  Sparking an already-evaluated value
  -- is a dud; sparking a thunk and then evaluating it ourselves before anyone
  -- runs the spark makes it fizzle; sparks whose thunks become unreachable are
  -- discarded by the next GC.  (With -N2 some of these may still be stolen
  -- and run instead -- that is fine, it only shifts the counters.)
  traceMarkerIO "phase spark outcomes"
  let ready = 42 :: Int
  _ <- evaluate ready
  forM_ [1 .. 10 :: Int] $ \_ -> evaluate (ready `par` ())
  -- Spark many cheap thunks at once so that the other capability cannot
  -- steal them all before we evaluate them (fizzle) or drop them (GC'd).
  xs <- forM [1 .. 200 * size] $ \i -> do
    let x = nfib (8 + i `mod` 3)
    _ <- evaluate (x `par` ())
    pure x
  _ <- evaluate (sum xs)
  forM_ [1 .. 200 * size] $ \i -> evaluate (nfib (9 + i `mod` 4) `par` ())
  performMajorGC

  -- Phase 2: worker threads communicating through MVars.  Workers block on
  -- an empty MVar (STOP_THREAD BlockedOnMVar) and wake each other up
  -- (THREAD_WAKEUP / MIGRATE_THREAD with -N2).
  traceMarkerIO "phase threads"
  inbox <- newEmptyMVar
  results <- forM [1 .. 4 :: Int] $ \w -> do
    done <- newEmptyMVar
    _ <- forkIO $ do
      t <- myThreadId
      labelThread t ("worker-" ++ show w)
      let loop acc = do
            job <- takeMVar inbox
            case job of
              Nothing -> putMVar done acc
              Just k  -> do
                -- Allocation-heavy job: build and fold a Map.
                let m = M.fromList [(j, j * k) | j <- [1 .. 2000 :: Int]]
                v <- evaluate (M.foldl' (+) 0 m)
                when (k `mod` 7 == 0) yield
                loop (acc + v)
      loop 0
    pure done
  forM_ [1 .. 60 * size] $ \k -> putMVar inbox (Just k)
  replicateM_ 4 (putMVar inbox Nothing)
  totals <- mapM takeMVar results
  putStrLn ("threads: " ++ show (sum totals))

  -- Phase 3: short sleeps (STOP_THREAD BlockedOnDelay / blocked on the IO
  -- manager in the threaded RTS).
  traceMarkerIO "phase delay"
  replicateM_ 3 (threadDelay 2000)

  -- Phase 4: allocation with some retained data, plus explicit GCs so that
  -- both minor and major collections appear regardless of heap size.
  traceMarkerIO "phase alloc"
  let table = foldl' (\m i -> M.insert (i * 7919 `mod` 100003) i m) M.empty
                     [1 .. 20000 * size :: Int]
  _ <- evaluate (M.size table)
  performMinorGC
  performMajorGC
  putStrLn ("alloc: " ++ show (M.foldl' (+) 0 table))
  traceEventIO "workload done"
  traceMarkerIO "workload end"

-- | Naive Fibonacci: pure CPU work that is worth sparking.
nfib :: Int -> Int
nfib n | n < 2 = 1
       | otherwise = nfib (n - 1) + nfib (n - 2) + 1

-- | Spark every element, then force them in order (classic par/pseq idiom).
parList :: [Int] -> [Int]
parList [] = []
parList (x : xs) = let rest = parList xs in x `par` (rest `pseq` (x : rest))
